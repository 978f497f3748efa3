use clap::Parser;

/// mimalloc: meshc allocates millions of small strings while parsing; it is
/// markedly faster than the system allocator at that (see ARCHITECTURE.md).
/// Built without transparent huge pages (`no_thp`): with them a 10,000-product
/// build zeroes about twice as much fresh memory (2 MiB at a time), which
/// cost more system time and peak memory than the TLB saves.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    meshc::cli::run(meshc::cli::Cli::parse())
}
