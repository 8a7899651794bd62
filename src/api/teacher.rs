use crate::domain::check_in_review::HeldCheckIn;
use crate::domain::rotating_code::Rotation;
use crate::domain::{
    AttendanceCounts, AttendanceStatus, CheckInRules, ClassId, Mark, SessionId, SessionPhase,
    UserId,
};
use crate::error::AppError;
use crate::protocol::{Event, StreamPosition};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

pub use crate::domain::{ClassSummary, RosterEntry};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: SessionId,
    pub class_id: ClassId,
    pub class_name: String,
    pub teacher_name: String,
    /// Scheduled start (or when it was opened by hand): lateness counts from here.
    pub starts_at_ms: i64,
    /// When it closes by itself, if it does.
    pub ends_at_ms: Option<i64>,
    pub late_after_minutes: u32,
    pub phase: SessionPhase,
    /// Part of the class's timetable (not opened by hand).
    pub scheduled: bool,
    /// The code students type: the fixed code (drawn when the session opens; `None` while
    /// upcoming), or for a rotating code the one shown when this was read.
    pub join_code: Option<String>,
    /// `Some` while the code rotates: where the code above is in its life.
    pub rotation: Option<Rotation>,
    /// How students check in to this session.
    pub rules: CheckInRules,
    pub is_open: bool,
    pub closed_at_ms: Option<i64>,
    /// The page a student's phone opens from the QR code (once the session has a code).
    pub check_in_url: Option<String>,
    /// The QR code for `check_in_url`, as an SVG document.
    pub qr_svg: Option<String>,
    /// The school's offset from UTC on the session's day, for its clock times.
    pub utc_offset_minutes: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub session: SessionInfo,
    pub roster: Vec<RosterEntry>,
    pub counts: AttendanceCounts,
    /// The point in the session's event log this snapshot reflects; follow from here.
    pub position: StreamPosition,
    /// The session's latest events up to `position` (at most 200), oldest first: the history
    /// behind the activity feed and the notifications.
    pub recent: Vec<Event>,
    /// Check-ins waiting for the teacher's review, oldest first.
    pub held: Vec<HeldCheckIn>,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::domain::{may_run_class, ClassSession, CurrentUser, Role, SessionId};
    use crate::error::{AppError, AppResult};

    /// The session, if the caller may run it: its class's teacher, or an admin.
    pub async fn session_for_staff(
        user: &CurrentUser,
        session_id: SessionId,
    ) -> AppResult<ClassSession> {
        let session = crate::server::state()
            .store
            .existing_session(session_id)
            .await?;
        check_runs(user, &session.teacher_ids)?;
        Ok(session)
    }

    /// 403 unless the user may run the class taught by `teachers`.
    pub fn check_runs(user: &CurrentUser, teachers: &[i64]) -> AppResult<()> {
        if may_run_class(user, teachers) {
            Ok(())
        } else {
            Err(AppError::forbidden("This is another teacher's class."))
        }
    }

    pub async fn staff() -> AppResult<CurrentUser> {
        crate::server::auth::require_role(&[Role::Teacher, Role::Admin], "This is for teachers.")
            .await
    }

    /// The code the session shows now: its current rotating code while open, else its fixed
    /// code (kept after closing, for the record).
    pub async fn code_now(session: &ClassSession) -> AppResult<Option<crate::protocol::CodeShown>> {
        use crate::server::code_view::{check_in_url, code_shown, qr_svg};
        let state = crate::server::state();
        let public_url = &state.config.public_url;
        let code = state.store.session_code(session.id).await?;
        let now = crate::server::now_ms();
        if let Some(shown) = code.and_then(|code| code_shown(public_url, &code, now)) {
            return Ok(Some(shown));
        }
        Ok(session.join_code.as_ref().map(|code| {
            let url = check_in_url(public_url, code.as_str(), None);
            crate::protocol::CodeShown {
                session_id: session.id,
                code: code.to_string(),
                qr_svg: qr_svg(&url),
                check_in_url: url,
                rotation: None,
            }
        }))
    }

    pub fn actor(user: &CurrentUser) -> crate::server::store::Actor {
        crate::server::store::Actor {
            user_id: user.id,
            device: crate::server::auth::calling_device(),
        }
    }
}

/// The caller's classes (every class for an admin).
#[server(endpoint = "my_classes", input = Json)]
pub async fn my_classes() -> Result<Vec<ClassSummary>, AppError> {
    let user = ssr::staff().await?;
    crate::server::state().store.classes_visible_to(&user).await
}

/// Opens a session of the class now: returns the one already open today, opens the class's
/// next scheduled session early if it starts within the hour, or else starts an unscheduled
/// one (late after `late_after_minutes`, closing by itself after the configured time).
#[server(endpoint = "open_session", input = Json)]
pub async fn open_session(
    class_id: ClassId,
    late_after_minutes: u32,
) -> Result<SessionId, AppError> {
    use crate::domain::time::MINUTE_MS;
    use crate::domain::JoinCode;
    use crate::server::store::OpenByHand;
    use crate::server::{crypto, now_ms, state};

    let user = ssr::staff().await?;
    if late_after_minutes > 240 {
        return Err(AppError::bad_request(
            "The late threshold must be between 0 and 240 minutes.",
        ));
    }
    let state = state();
    let teachers = state
        .store
        .class_teachers(class_id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such class."))?;
    ssr::check_runs(&user, &teachers)?;
    if state.store.class_archived(class_id).await? {
        return Err(AppError::conflict(
            "This class is archived; restore it before opening a session.",
        ));
    }
    let now = now_ms();
    let plan = OpenByHand {
        late_after_minutes,
        now_ms: now,
        today_starts_ms: state.config.time_zone.day_start(now),
        adopt_scheduled_before_ms: now + 60 * MINUTE_MS,
        unscheduled_ends_ms: now + state.config.unscheduled_session_minutes as i64 * MINUTE_MS,
    };
    state
        .store
        .open_session(class_id, &ssr::actor(&user), plan, || {
            JoinCode::from_random(crypto::random_bytes())
        })
        .await
}

/// Everything the teacher's dashboard shows for one session.
#[server(endpoint = "session_dashboard", input = Json)]
pub async fn session_dashboard(session_id: SessionId) -> Result<SessionView, AppError> {
    let user = ssr::staff().await?;
    // Authorized before anything else is read (or the session's log is created).
    ssr::session_for_staff(&user, session_id).await?;
    let state = crate::server::state();
    let (session, snapshot) = state.store.session_snapshot(session_id).await?;
    let counts = AttendanceCounts::from_statuses(
        snapshot
            .roster
            .iter()
            .map(|entry| entry.mark.as_ref().map(|m| m.status)),
    );
    let held = state.store.held_check_ins(session_id).await?;
    let shown = ssr::code_now(&session).await?;
    Ok(SessionView {
        session: SessionInfo {
            id: session.id,
            class_id: session.class_id,
            phase: session.phase(),
            scheduled: session.scheduled,
            class_name: session.class_name,
            teacher_name: session.teacher_name,
            starts_at_ms: session.starts_at_ms,
            ends_at_ms: session.ends_at_ms,
            late_after_minutes: session.late_after_minutes,
            join_code: shown.as_ref().map(|shown| shown.code.clone()),
            rotation: shown.as_ref().and_then(|shown| shown.rotation),
            rules: session.rules,
            is_open: session.is_open,
            closed_at_ms: session.closed_at_ms,
            qr_svg: shown.as_ref().map(|shown| shown.qr_svg.clone()),
            check_in_url: shown.map(|shown| shown.check_in_url),
            utc_offset_minutes: state
                .config
                .time_zone
                .offset_minutes_at(session.starts_at_ms),
        },
        roster: snapshot.roster,
        counts,
        position: snapshot.position,
        recent: snapshot.recent,
        held,
    })
}

/// Sets a student's status by hand; overrides a self check-in. Works on open and closed
/// sessions (a correction after the fact), not on upcoming ones; every change is kept in the
/// session's audit trail.
#[server(endpoint = "mark_attendance", input = Json)]
pub async fn mark_attendance(
    session_id: SessionId,
    student_id: UserId,
    status: AttendanceStatus,
) -> Result<Mark, AppError> {
    use crate::server::{now_ms, state};

    let user = ssr::staff().await?;
    let session = ssr::session_for_staff(&user, session_id).await?;
    state()
        .store
        .mark(&session, student_id, status, &ssr::actor(&user), now_ms())
        .await
}

/// Closes the session; everyone still unmarked becomes absent. Returns how many.
#[server(endpoint = "close_session", input = Json)]
pub async fn close_session(session_id: SessionId) -> Result<u32, AppError> {
    use crate::server::{now_ms, state};

    let user = ssr::staff().await?;
    let session = ssr::session_for_staff(&user, session_id).await?;
    state()
        .store
        .close_session(&session, &ssr::actor(&user), now_ms())
        .await
}

/// "Mark all present": everyone on the roster not yet marked (or marked absent by Rollcall at
/// closing) becomes present. A teacher's own marks, excused students and check-ins stay as they
/// are. Returns how many changed.
#[server(endpoint = "mark_all_present", input = Json)]
pub async fn mark_all_present(session_id: SessionId) -> Result<u32, AppError> {
    use crate::server::{now_ms, state};

    let user = ssr::staff().await?;
    let session = ssr::session_for_staff(&user, session_id).await?;
    state()
        .store
        .mark_all_present(&session, &ssr::actor(&user), now_ms())
        .await
}
