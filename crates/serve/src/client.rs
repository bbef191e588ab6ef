//! A minimal HTTP/1.1 client over one TCP connection, for the tests, the load benchmark and
//! the browser test's WebDriver calls: loopback only, `Content-Length` bodies only (what this
//! server and chromedriver send), keep-alive. Not a general-purpose client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    ///
    /// # Errors
    /// When the body is not JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One connection to a server, reopened when the server closes it.
#[derive(Debug)]
pub struct Client {
    addr: SocketAddr,
    conn: Option<BufReader<TcpStream>>,
    timeout: Duration,
}

impl Client {
    /// A client of `addr` (connects on the first request).
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            conn: None,
            timeout: Duration::from_secs(60),
        }
    }

    /// Sets the read/write timeout of the connection.
    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// `GET path`.
    ///
    /// # Errors
    /// I/O errors and malformed responses.
    pub fn get(&mut self, path: &str) -> std::io::Result<Response> {
        self.request("GET", path, &[], b"")
    }

    /// A request with `headers` (name, value) and `body` (sent with a `Content-Length`).
    ///
    /// # Errors
    /// I/O errors and malformed responses.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Response> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() || method != "GET" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut msg = head.into_bytes();
        msg.extend_from_slice(body);
        // A kept-alive connection the server has closed fails on first use: retry once on a
        // fresh one.
        match self.exchange(&msg) {
            Ok(r) => Ok(r),
            Err(_) if self.conn.is_none() => self.exchange(&msg),
            Err(e) => Err(e),
        }
    }

    /// Sends raw bytes as they are (malformed requests included) on a fresh connection and
    /// reads one response.
    ///
    /// # Errors
    /// I/O errors and malformed responses (e.g. the server closed without answering).
    pub fn raw(&mut self, bytes: &[u8]) -> std::io::Result<Response> {
        self.conn = None;
        let r = self.exchange(bytes);
        self.conn = None;
        r
    }

    fn exchange(&mut self, msg: &[u8]) -> std::io::Result<Response> {
        let fresh = self.conn.is_none();
        if fresh {
            let s = TcpStream::connect(self.addr)?;
            s.set_read_timeout(Some(self.timeout))?;
            s.set_write_timeout(Some(self.timeout))?;
            s.set_nodelay(true)?;
            self.conn = Some(BufReader::new(s));
        }
        let out = (|| {
            let conn = self.conn.as_mut().expect("connected above");
            conn.get_mut().write_all(msg)?;
            read_response(conn)
        })();
        match &out {
            Ok(r) if r.header("connection") == Some("close") => self.conn = None,
            Ok(_) => {}
            Err(_) => {
                self.conn = None;
                if !fresh {
                    // Signal the caller's retry: the kept-alive connection was stale.
                    return out;
                }
            }
        }
        out
    }
}

fn bad(m: impl Into<String>) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, m.into())
}

fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<Response> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the server closed the connection without answering",
        ));
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(bad("connection closed inside the headers"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l
            .split_once(':')
            .ok_or_else(|| bad(format!("bad header {l:?}")))?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if resp.header("transfer-encoding").is_some() {
        return Err(bad("chunked responses are not supported by this client"));
    }
    let len: usize = match resp.header("content-length") {
        Some(v) => v.parse().map_err(|_| bad("bad content-length"))?,
        None => 0,
    };
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok(Response { body, ..resp })
}
