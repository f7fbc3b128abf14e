//! Benchmark helper: sends every `.eml` in a folder on one SMTP connection,
//! either with lettre's stock `SmtpTransport::send_raw` (`stock`) or with
//! salarytrends' SMTP channel, which writes each body and its end marker in
//! one write (`one-write`). Prints "messages seconds".
//!
//!     cargo run --release --example lettre_stock -- 127.0.0.1:2525 DIR [LIMIT] [stock|one-write]

use std::time::{Duration, Instant};

use lettre::Transport as _;
use lettre::address::{Address, Envelope};
use salarytrends::delivery::transport::{Outgoing, SmtpSettings, Transport};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (addr, dir) = (args.next().ok_or("host:port")?, args.next().ok_or("outbox folder")?);
    let limit: usize = args.next().map(|l| l.parse()).transpose()?.unwrap_or(usize::MAX);
    let mode = args.next().unwrap_or_else(|| "stock".into());
    let mut paths: Vec<_> =
        std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    paths.sort();
    paths.truncate(limit);
    let from: Address = "trends@example.com".parse()?;
    let mut messages = Vec::new();
    for p in paths {
        let bytes = std::fs::read(&p)?;
        let text = String::from_utf8_lossy(&bytes);
        let to = text
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .map(|t| {
                t.rsplit_once('<').map_or(t, |(_, a)| a.trim_end_matches('>')).trim().to_string()
            })
            .ok_or("no To header")?;
        messages.push((to.parse::<Address>()?, bytes));
    }
    let start = Instant::now();
    match mode.as_str() {
        "stock" => {
            let (host, port) = addr.rsplit_once(':').ok_or("host:port")?;
            let transport =
                lettre::SmtpTransport::builder_dangerous(host).port(port.parse()?).build();
            for (to, bytes) in &messages {
                transport.send_raw(&Envelope::new(Some(from.clone()), vec![to.clone()])?, bytes)?;
            }
        }
        _ => {
            let settings = SmtpSettings::parse(
                &format!("smtp://{addr}"),
                "example.com",
                Duration::from_secs(30),
            )?;
            let mut channel = Transport::Smtp(settings).open().map_err(|e| e.to_string())?;
            for (to, bytes) in &messages {
                let msg = Outgoing { from: &from, to, message_id: "<bench@example.com>", bytes };
                channel.send(&msg).map_err(|e| e.to_string())?;
            }
            channel.close();
        }
    }
    println!("{} {:.4}", messages.len(), start.elapsed().as_secs_f64());
    Ok(())
}
