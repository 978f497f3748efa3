use clap::Parser;

/// mimalloc: meshc allocates millions of small strings while parsing; it is
/// markedly faster than the system allocator at that (see ARCHITECTURE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    meshc::cli::run(meshc::cli::Cli::parse())
}
