//! A subscription as a byte stream, for readers that take `std::io::Read`
//! (asp-decode's loop feeds the stream player from one).

use std::io::{self, Read};

use bytes::{Buf, Bytes};

use crate::{ClientOptions, Error, RelayUrl, Subscriber};

/// The video track's objects back to back: ASP packets, as a file holds
/// them. Owns the async runtime the subscription runs on; `read` blocks
/// until the next object arrives and returns 0 when the publisher finished
/// the track.
pub struct SubscriptionReader {
    runtime: tokio::runtime::Runtime,
    subscriber: Option<Subscriber>,
    pending: Bytes,
}

impl SubscriptionReader {
    /// Connects and subscribes (see [`Subscriber::connect`]), waiting for
    /// the broadcast as long as it takes to be announced.
    pub fn connect(url: &RelayUrl, options: &ClientOptions) -> Result<SubscriptionReader, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("asp-moq")
            .build()
            .map_err(Error::Runtime)?;
        let subscriber = runtime.block_on(Subscriber::connect(url, options))?;
        Ok(SubscriptionReader {
            runtime,
            subscriber: Some(subscriber),
            pending: Bytes::new(),
        })
    }

    /// The subscriber (its catalog, how often it resubscribed).
    pub fn subscriber(&self) -> Option<&Subscriber> {
        self.subscriber.as_ref()
    }
}

impl Read for SubscriptionReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            let Some(subscriber) = self.subscriber.as_mut() else {
                return Ok(0);
            };
            match self.runtime.block_on(subscriber.next()) {
                Ok(Some(object)) => self.pending = object.bytes,
                Ok(None) => {
                    if let Some(subscriber) = self.subscriber.take() {
                        self.runtime.block_on(subscriber.close());
                    }
                    return Ok(0);
                }
                Err(e) => return Err(io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.advance(n);
        Ok(n)
    }
}
