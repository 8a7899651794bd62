//! Reusable views, one component family per file.

pub mod attendance_bar;
pub mod charts;
pub mod check_in_rules_form;
pub mod connection_status_indicator;
pub mod error_notice;
pub mod form_field;
pub mod holidays;
pub mod inbox_bell;
pub mod job_queue_card;
pub mod live_student_activity;
pub mod outbox_list;
pub mod push_toggle;
pub mod reset_password;
pub mod status_badge;
pub mod teacher_attendance_dashboard;
pub mod timetable_editor;
