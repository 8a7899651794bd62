//! cargo-leptos reads `[package.metadata.leptos]` from Cargo.toml; the server reads Leptos.toml.
//! They must say the same thing.

fn leptos_table(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|line| line.trim() != "[package.metadata.leptos]")
        .skip(1)
        .take_while(|line| !line.trim_start().starts_with('['))
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(String::from)
        .collect()
}

#[test]
fn leptos_toml_matches_cargo_metadata() {
    let cargo = leptos_table(include_str!("../Cargo.toml"));
    let leptos = leptos_table(include_str!("../Leptos.toml"));
    assert!(
        cargo.iter().any(|l| l.starts_with("output-name")),
        "no table in Cargo.toml"
    );
    assert_eq!(
        cargo, leptos,
        "Leptos.toml drifted from Cargo.toml's [package.metadata.leptos]"
    );
}
