//! Fluxion desktop backend: the HTTP bridge between the app and the voice agent.
//!
//! The bridge listens on `FLUXION_BRIDGE_PORT` (default 3001) and answers
//! `GET /health` with its own status and the address of the Python voice
//! pipeline (`VOICE_PIPELINE_PORT`, default 3002) that it forwards to.

use serde::Serialize;
use std::env;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

const DEFAULT_BRIDGE_PORT: u16 = 3001;
const DEFAULT_VOICE_PIPELINE_PORT: u16 = 3002;

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    voice_pipeline: String,
}

fn port_from_env(name: &str, default: u16) -> u16 {
    match env::var(name) {
        Ok(value) if !value.trim().is_empty() => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a port number, got {value:?}")),
        _ => default,
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn handle(mut stream: TcpStream, voice_pipeline: &str) -> std::io::Result<()> {
    let mut request_line = String::new();
    BufReader::new(&stream).read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));

    if method == "GET" && path.split('?').next() == Some("/health") {
        let health = Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
            voice_pipeline: voice_pipeline.to_owned(),
        };
        let body = serde_json::to_string(&health).expect("health serializes");
        respond(&mut stream, "200 OK", &body)
    } else {
        respond(&mut stream, "404 Not Found", r#"{"error":"not found"}"#)
    }
}

fn main() -> std::io::Result<()> {
    let port = port_from_env("FLUXION_BRIDGE_PORT", DEFAULT_BRIDGE_PORT);
    let voice_port = port_from_env("VOICE_PIPELINE_PORT", DEFAULT_VOICE_PIPELINE_PORT);
    let voice_pipeline = format!("http://127.0.0.1:{voice_port}");

    let listener = TcpListener::bind(("127.0.0.1", port))?;
    eprintln!("fluxion HTTP bridge listening on http://127.0.0.1:{port}");
    for stream in listener.incoming() {
        let stream = stream?;
        let voice_pipeline = voice_pipeline.clone();
        thread::spawn(move || {
            if let Err(error) = handle(stream, &voice_pipeline) {
                eprintln!("request failed: {error}");
            }
        });
    }
    Ok(())
}
