//! Reusable views, one component family per file.

pub mod attendance_bar;
pub mod error_notice;
pub mod teacher_attendance_dashboard;
