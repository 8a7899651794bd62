//! One file per area of the site; each page is a route in `app.rs`.

pub mod account;
pub mod admin;
pub mod admin_classes;
pub mod admin_import;
pub mod admin_people;
pub mod class_page;
pub mod login;
pub mod not_found;
pub mod student;
pub mod teacher;
