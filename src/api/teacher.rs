use crate::domain::{AttendanceCounts, AttendanceStatus, ClassId, Mark, SessionId, UserId};
use crate::error::AppError;
use crate::protocol::StreamPosition;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassSummary {
    pub id: ClassId,
    pub name: String,
    pub teacher_name: String,
    pub student_count: u32,
    pub open_session_id: Option<SessionId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: SessionId,
    pub class_id: ClassId,
    pub class_name: String,
    pub teacher_name: String,
    pub starts_at_ms: i64,
    pub late_after_minutes: u32,
    pub join_code: String,
    pub is_open: bool,
    pub closed_at_ms: Option<i64>,
    /// The page a student's phone opens from the QR code.
    pub check_in_url: String,
    /// The QR code for `check_in_url`, as an SVG document.
    pub qr_svg: String,
    pub utc_offset_minutes: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub student_id: UserId,
    pub display_name: String,
    pub username: String,
    /// `None`: not yet marked.
    pub mark: Option<Mark>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub session: SessionInfo,
    pub roster: Vec<RosterEntry>,
    pub counts: AttendanceCounts,
    /// The point in the session's event log this snapshot reflects; subscribe from here.
    pub position: StreamPosition,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use crate::domain::{CurrentUser, Role, SessionId};
    use crate::error::{AppError, AppResult};
    use crate::server::store::SessionRow;

    /// The session, if the caller may run it: its class's teacher, or an admin.
    pub async fn session_for_staff(
        user: &CurrentUser,
        session_id: SessionId,
    ) -> AppResult<SessionRow> {
        let session = crate::server::state()
            .store
            .session(session_id)
            .await?
            .ok_or_else(|| AppError::not_found("There is no such class session."))?;
        match user.role {
            Role::Admin => Ok(session),
            Role::Teacher if session.teacher_id == user.id => Ok(session),
            Role::Teacher => Err(AppError::forbidden(
                "This session belongs to another teacher's class.",
            )),
            Role::Student => Err(AppError::forbidden(
                "Only the class's teacher can see this session.",
            )),
        }
    }

    pub async fn staff() -> AppResult<CurrentUser> {
        crate::server::auth::require_role(&[Role::Teacher, Role::Admin], "This is for teachers.")
            .await
    }

    pub fn qr_svg(url: &str) -> String {
        qrcode::QrCode::new(url.as_bytes())
            .map(|code| {
                code.render::<qrcode::render::svg::Color>()
                    .min_dimensions(240, 240)
                    .quiet_zone(true)
                    .build()
            })
            .unwrap_or_default()
    }
}

/// The caller's classes (every class for an admin).
#[server(endpoint = "my_classes", input = Json)]
pub async fn my_classes() -> Result<Vec<ClassSummary>, AppError> {
    let user = ssr::staff().await?;
    let rows = crate::server::state()
        .store
        .classes_visible_to(&user)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| ClassSummary {
            id: row.id,
            name: row.name,
            teacher_name: row.teacher_name,
            student_count: row.student_count as u32,
            open_session_id: row.open_session_id,
        })
        .collect())
}

/// Opens a session of the class starting now (or returns the one already open).
#[server(endpoint = "open_session", input = Json)]
pub async fn open_session(
    class_id: ClassId,
    late_after_minutes: u32,
) -> Result<SessionId, AppError> {
    use crate::domain::{JoinCode, Role};
    use crate::server::store::Actor;
    use crate::server::{auth, now_ms, state};

    let user = ssr::staff().await?;
    if late_after_minutes > 240 {
        return Err(AppError::bad_request(
            "The late threshold must be between 0 and 240 minutes.",
        ));
    }
    let state = state();
    let teacher = state
        .store
        .class_teacher(class_id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such class."))?;
    if user.role != Role::Admin && teacher != user.id {
        return Err(AppError::forbidden("This is another teacher's class."));
    }
    let actor = Actor {
        user_id: user.id,
        device: auth::calling_device(),
    };
    state
        .store
        .open_session(class_id, late_after_minutes, &actor, now_ms(), || {
            JoinCode::from_random(auth::random_bytes())
        })
        .await
}

/// Everything the teacher's dashboard shows for one session.
#[server(endpoint = "session_dashboard", input = Json)]
pub async fn session_dashboard(session_id: SessionId) -> Result<SessionView, AppError> {
    let user = ssr::staff().await?;
    let session = ssr::session_for_staff(&user, session_id).await?;
    let state = crate::server::state();
    let (roster, position) = state.store.roster(&session).await?;
    let counts =
        AttendanceCounts::from_statuses(roster.iter().map(|l| l.mark.as_ref().map(|m| m.status)));
    let check_in_url = format!("{}/checkin/{}", state.config.public_url, session.join_code);
    Ok(SessionView {
        session: SessionInfo {
            id: session.id,
            class_id: session.class_id,
            class_name: session.class_name.clone(),
            teacher_name: session.teacher_name.clone(),
            starts_at_ms: session.starts_at_ms,
            late_after_minutes: session.facts().late_after_minutes,
            join_code: session.join_code.clone(),
            is_open: session.is_open != 0,
            closed_at_ms: session.closed_at_ms,
            qr_svg: ssr::qr_svg(&check_in_url),
            check_in_url,
            utc_offset_minutes: state.config.utc_offset_minutes,
        },
        roster: roster
            .into_iter()
            .map(|line| RosterEntry {
                student_id: line.student_id,
                display_name: line.display_name,
                username: line.username,
                mark: line.mark,
            })
            .collect(),
        counts,
        position,
    })
}

/// Sets a student's status by hand; overrides a self check-in.
#[server(endpoint = "mark_attendance", input = Json)]
pub async fn mark_attendance(
    session_id: SessionId,
    student_id: UserId,
    status: AttendanceStatus,
) -> Result<Mark, AppError> {
    use crate::server::store::Actor;
    use crate::server::{auth, now_ms, state};

    let user = ssr::staff().await?;
    let session = ssr::session_for_staff(&user, session_id).await?;
    let actor = Actor {
        user_id: user.id,
        device: auth::calling_device(),
    };
    state()
        .store
        .mark(&session, student_id, status, &actor, now_ms())
        .await
}

/// Closes the session; everyone still unmarked becomes absent. Returns how many.
#[server(endpoint = "close_session", input = Json)]
pub async fn close_session(session_id: SessionId) -> Result<u32, AppError> {
    use crate::server::store::Actor;
    use crate::server::{auth, now_ms, state};

    let user = ssr::staff().await?;
    let session = ssr::session_for_staff(&user, session_id).await?;
    let actor = Actor {
        user_id: user.id,
        device: auth::calling_device(),
    };
    state()
        .store
        .close_session(&session, &actor, now_ms())
        .await
}
