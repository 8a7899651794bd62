//! Prometheus metrics for the live layer, served as text at `GET /metrics`.

use super::auth::{authenticate, bearer_token};
use super::AppState;
use crate::domain::Role;
use crate::error::AppError;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub struct Metrics {
    registry: Registry,
    pub open_connections: Gauge,
    pub subscriptions: Gauge,
    pub events_published: Counter,
    pub frames_sent: Counter,
    pub queue_drops: Counter,
    pub slow_consumer_disconnects: Counter,
    pub bad_frames: Counter,
    pub heartbeat_timeouts: Counter,
    /// From commit to the frame written to the socket.
    pub fanout_latency: Histogram,
    /// The job queue, read from the database at each scrape.
    pub jobs_queued: Gauge,
    pub jobs_running: Gauge,
    pub jobs_retrying: Gauge,
    pub jobs_dead: Gauge,
    pub notifications_created: Counter,
    pub pushes_sent: Counter,
    /// Subscriptions the push service said are gone (404/410), now forgotten.
    pub pushes_gone: Counter,
    pub emails_sent: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("rollcall");
        let metrics = Metrics {
            open_connections: Gauge::default(),
            subscriptions: Gauge::default(),
            events_published: Counter::default(),
            frames_sent: Counter::default(),
            queue_drops: Counter::default(),
            slow_consumer_disconnects: Counter::default(),
            bad_frames: Counter::default(),
            heartbeat_timeouts: Counter::default(),
            // 0.25 ms … ~4 s
            fanout_latency: Histogram::new(exponential_buckets(0.00025, 2.0, 15)),
            jobs_queued: Gauge::default(),
            jobs_running: Gauge::default(),
            jobs_retrying: Gauge::default(),
            jobs_dead: Gauge::default(),
            notifications_created: Counter::default(),
            pushes_sent: Counter::default(),
            pushes_gone: Counter::default(),
            emails_sent: Counter::default(),
            registry: Registry::default(),
        };
        for (name, help, gauge) in [
            (
                "jobs_queued",
                "Background jobs waiting to run",
                &metrics.jobs_queued,
            ),
            (
                "jobs_running",
                "Background jobs claimed by a worker",
                &metrics.jobs_running,
            ),
            (
                "jobs_retrying",
                "Queued jobs that failed before",
                &metrics.jobs_retrying,
            ),
            (
                "jobs_dead",
                "Jobs given up after their last attempt",
                &metrics.jobs_dead,
            ),
        ] {
            registry.register(name, help, gauge.clone());
        }
        for (name, help, counter) in [
            (
                "notifications_created",
                "Notifications stored for someone",
                &metrics.notifications_created,
            ),
            (
                "pushes_sent",
                "Pushes a push service accepted",
                &metrics.pushes_sent,
            ),
            (
                "pushes_gone",
                "Push subscriptions dropped because the push service said they are gone",
                &metrics.pushes_gone,
            ),
            (
                "emails_sent",
                "Guardian e-mails the SMTP server accepted",
                &metrics.emails_sent,
            ),
        ] {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "ws_connections",
            "Open WebSocket connections",
            metrics.open_connections.clone(),
        );
        registry.register(
            "ws_subscriptions",
            "Channel subscriptions held by open connections",
            metrics.subscriptions.clone(),
        );
        registry.register(
            "events_published",
            "Events committed and handed to the fan-out",
            metrics.events_published.clone(),
        );
        registry.register(
            "ws_frames_sent",
            "Event frames written to WebSockets",
            metrics.frames_sent.clone(),
        );
        registry.register(
            "ws_queue_drops",
            "Frames dropped because a connection's send queue was full",
            metrics.queue_drops.clone(),
        );
        registry.register(
            "ws_slow_consumer_disconnects",
            "Connections closed because they could not keep up",
            metrics.slow_consumer_disconnects.clone(),
        );
        registry.register(
            "ws_bad_frames",
            "Client frames refused (malformed, oversize or over the rate limit)",
            metrics.bad_frames.clone(),
        );
        registry.register(
            "ws_heartbeat_timeouts",
            "Connections dropped after missed heartbeats",
            metrics.heartbeat_timeouts.clone(),
        );
        registry.register(
            "fanout_latency_seconds",
            "Time from commit to the event frame written to a subscriber's socket",
            metrics.fanout_latency.clone(),
        );
        Metrics {
            registry,
            ..metrics
        }
    }
}

impl Metrics {
    pub fn render(&self) -> String {
        let mut text = String::new();
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// `GET /metrics`: Prometheus text; for admins, or with
/// `Authorization: Bearer $ROLLCALL_METRICS_TOKEN`.
pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token_ok = match (&state.config.metrics_token, bearer_token(&headers)) {
        (Some(expected), Some(given)) => same_secret(given.as_bytes(), expected.as_bytes()),
        _ => false,
    };
    if !token_ok {
        match authenticate(&state, &headers).await {
            Ok(user) if user.role == Role::Admin => {}
            Ok(_) => return AppError::forbidden("Metrics are for admins.").into_response(),
            Err(error) => return error.into_response(),
        }
    }
    if let Ok(depth) = state.store.queue_depth().await {
        state.metrics.jobs_queued.set(depth.queued);
        state.metrics.jobs_running.set(depth.running);
        state.metrics.jobs_retrying.set(depth.retrying);
        state.metrics.jobs_dead.set(depth.dead);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

/// Compares two secrets in time that depends only on their length, not on where they differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_match_only_exactly() {
        assert!(same_secret(b"s3cret-token", b"s3cret-token"));
        assert!(!same_secret(b"s3cret-tokem", b"s3cret-token"));
        assert!(!same_secret(b"X3cret-token", b"s3cret-token"));
        assert!(!same_secret(b"s3cret", b"s3cret-token"));
        assert!(!same_secret(b"", b"s3cret-token"));
        assert!(same_secret(b"", b""));
    }

    #[test]
    fn the_registry_renders_every_metric() {
        let text = Metrics::default().render();
        for name in ["rollcall_ws_connections", "rollcall_ws_queue_drops_total"] {
            assert!(text.contains(name), "{name} missing from\n{text}");
        }
    }
}
