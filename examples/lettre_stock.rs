//! Benchmark helper: sends every `.eml` in a folder with lettre's stock
//! `SmtpTransport` (one connection, `send_raw`), to compare with the
//! one-write DATA that salarytrends uses. Prints "messages seconds".
//!
//!     cargo run --release --example lettre_stock -- 127.0.0.1:2525 output/2026-W47/outbox [LIMIT]

use std::time::Instant;

use lettre::Transport;
use lettre::address::Envelope;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (addr, dir) = (args.next().ok_or("host:port")?, args.next().ok_or("outbox folder")?);
    let (host, port) = addr.rsplit_once(':').ok_or("host:port")?;
    let transport = lettre::SmtpTransport::builder_dangerous(host).port(port.parse()?).build();
    let mut paths: Vec<_> =
        std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    paths.sort();
    if let Some(limit) = args.next() {
        paths.truncate(limit.parse()?);
    }
    let mut messages = Vec::new();
    for p in paths {
        let bytes = std::fs::read(&p)?;
        let text = String::from_utf8_lossy(&bytes);
        let to = text
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .and_then(|t| {
                t.rsplit_once('<')
                    .map(|(_, a)| a.trim_end_matches('>').to_string())
                    .or(Some(t.to_string()))
            })
            .ok_or("no To header")?;
        let envelope =
            Envelope::new(Some("trends@example.com".parse()?), vec![to.trim().parse()?])?;
        messages.push((envelope, bytes));
    }
    let start = Instant::now();
    for (envelope, bytes) in &messages {
        transport.send_raw(envelope, bytes)?;
    }
    println!("{} {:.4}", messages.len(), start.elapsed().as_secs_f64());
    Ok(())
}
