//! Serving a simulator over TLS with a certificate generated at start, or over plain HTTP,
//! until told to stop. Every simulator serves this way.

use std::sync::Arc;

use axum::Router;
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    net::TcpListener,
    sync::watch,
};
use tokio_rustls::TlsAcceptor;

use crate::SimError;

/// Binds `addr` (port 0 picks a free one) and returns the listener with the address it got.
pub(crate) async fn bind(
    addr: std::net::SocketAddr,
) -> Result<(TcpListener, std::net::SocketAddr), SimError> {
    let error = |source| SimError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(error)?;
    let local = listener.local_addr().map_err(error)?;
    Ok((listener, local))
}

/// Serves `app` on `listener` in the background, over HTTPS with a fresh self-signed
/// certificate when `tls`, until the returned sender is dropped. Returns the certificate (PEM)
/// clients must trust, when there is one.
pub(crate) fn spawn(
    listener: TcpListener,
    app: Router,
    tls: bool,
) -> Result<(Option<String>, watch::Sender<()>), SimError> {
    let (stop, stopped) = watch::channel(());
    if tls {
        let (cert, key) = self_signed()?;
        let config = server_config(&cert, &key)?;
        tokio::spawn(serve_tls(listener, config, app, stopped));
        Ok((Some(cert), stop))
    } else {
        tokio::spawn(serve_plain(listener, app, stopped));
        Ok((None, stop))
    }
}

/// A self-signed certificate for `localhost` and `127.0.0.1` (an IP SAN: clients verify it),
/// as PEM certificate and key.
pub(crate) fn self_signed() -> Result<(String, String), SimError> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let generated =
        rcgen::generate_simple_self_signed(names).map_err(|e| SimError::Tls(e.to_string()))?;
    Ok((generated.cert.pem(), generated.signing_key.serialize_pem()))
}

pub(crate) fn server_config(
    cert_pem: &str,
    key_pem: &str,
) -> Result<Arc<rustls::ServerConfig>, SimError> {
    let tls = |e: &dyn std::fmt::Display| SimError::Tls(e.to_string());
    let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls(&e))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).map_err(|e| tls(&e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| tls(&e))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls(&e))?;
    Ok(Arc::new(config))
}

fn serve_connection<S>(io: S, app: Router)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let service = TowerToHyperService::new(app);
        let _ = Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(io), service)
            .await;
    });
}

pub(crate) async fn serve_tls(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    app: Router,
    mut stop: watch::Receiver<()>,
) {
    let acceptor = TlsAcceptor::from(config);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let Ok((tcp, _)) = accepted else { continue };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            if let Ok(stream) = acceptor.accept(tcp).await {
                serve_connection(stream, app);
            }
        });
    }
}

pub(crate) async fn serve_plain(listener: TcpListener, app: Router, mut stop: watch::Receiver<()>) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.changed() => return,
        };
        let Ok((tcp, _)) = accepted else { continue };
        serve_connection(tcp, app.clone());
    }
}

/// The root URL of a simulator at `addr`: `https` when it serves TLS.
pub(crate) fn url(addr: std::net::SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{addr}")
}
