//! Rollcall: live class attendance. One crate, two targets: the `ssr` feature builds the server
//! binary, `hydrate` the WebAssembly client; `domain`, `protocol` and `error` are shared by both.

#![recursion_limit = "512"]

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod error;
pub mod offline;
pub mod pages;
pub mod protocol;
pub mod realtime;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod startup;
pub mod web;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
