//! The static file service serves the page and the player, never what a
//! served directory hides: dotfiles and dot-directories (`.git/`, `.env`),
//! however the path spells them.

use std::net::SocketAddr;
use std::sync::Arc;

use asp_server::{Hub, Server, ServerConfig, StreamFacts, StreamPolicy, ViewerLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn status(addr: SocketAddr, path: &str) -> u16 {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tcp.read_to_end(&mut response).await.unwrap();
    let head = String::from_utf8_lossy(&response);
    head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("no status line: {head}"))
}

#[tokio::test]
async fn dotfiles_are_never_served() {
    let root = std::env::temp_dir().join(format!("asp-static-{}", std::process::id()));
    let www = root.join("www");
    std::fs::create_dir_all(www.join(".git")).unwrap();
    std::fs::write(www.join("index.html"), "<!doctype html>page").unwrap();
    std::fs::write(www.join(".env"), "SECRET=1").unwrap();
    std::fs::write(www.join(".git/config"), "[core]").unwrap();
    std::fs::write(root.join("outside.txt"), "outside").unwrap();

    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap());
    config.www_dir = Some(www.clone());
    config.webtransport = false;
    let hub = Arc::new(Hub::new(ViewerLimits::default(), StreamPolicy::default()));
    let facts = StreamFacts { width: 64, height: 48, fps_num: 30, fps_den: 1 };
    let server = Server::bind(config, hub, facts).await.unwrap();
    let addr = server.http_addr;
    tokio::spawn(server.run());

    assert_eq!(status(addr, "/index.html").await, 200);
    assert_eq!(status(addr, "/asp/session").await, 200);
    for hidden in ["/.env", "/.git/config", "/%2egit/config", "/%2Eenv", "/../outside.txt", "/a/%2e%2e/%2e%2e/outside.txt"] {
        assert_eq!(status(addr, hidden).await, 404, "{hidden}");
    }
    std::fs::remove_dir_all(&root).ok();
}
