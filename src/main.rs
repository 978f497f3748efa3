use clap::Parser;

fn main() -> std::process::ExitCode {
    meshc::cli::run(meshc::cli::Cli::parse())
}
