//! Guardian e-mail over SMTP (lettre): configured by `ROLLCALL_SMTP_URL` and
//! `ROLLCALL_SMTP_FROM`; without them no e-mail is queued.

use crate::server::store::EmailJob;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// Whether a failed send is worth trying again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailError {
    /// The address or message is wrong: trying again will not help.
    Permanent(String),
    Transient(String),
}

impl Mailer {
    /// `url`: `smtp://host:port` (plain, for a relay on the same network), `smtp://…?tls=required`
    /// (STARTTLS) or `smtps://host` (TLS), with `user:password@` when the server asks.
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("ROLLCALL_SMTP_URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("ROLLCALL_SMTP_FROM is not an address: {e}"))?;
        Ok(Mailer { transport, from })
    }

    pub async fn send(&self, job: &EmailJob) -> Result<(), MailError> {
        let to: Mailbox = job
            .to
            .parse()
            .map_err(|e| MailError::Permanent(format!("bad address {}: {e}", job.to)))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&job.subject)
            .body(job.body.clone())
            .map_err(|e| MailError::Permanent(format!("cannot build the message: {e}")))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(MailError::Permanent(error.to_string())),
            Err(error) => Err(MailError::Transient(error.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailer_needs_a_from_address() {
        assert!(Mailer::new("smtp://127.0.0.1:2525", "Rollcall <r@example.org>").is_ok());
        assert!(Mailer::new("smtp://127.0.0.1:2525", "nobody").is_err());
    }
}
