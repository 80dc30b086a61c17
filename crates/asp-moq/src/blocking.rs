//! A subscription as a byte stream, for readers that take `std::io::Read`
//! (asp-decode's loop feeds the stream player from one).

use std::future::Future;
use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};

use crate::{ClientOptions, Error, RelayUrl, Subscriber};

/// How often a read that waits for the relay looks at the stop flag: a
/// signal handler can only set a flag, it cannot wake the wait.
const STOP_POLL: Duration = Duration::from_millis(50);

/// The video track's objects back to back: ASP packets, as a file holds
/// them. Owns the async runtime the subscription runs on. The first `read`
/// connects and subscribes (waiting as long as it takes for the broadcast
/// to be announced); each `read` blocks until the next object arrives and
/// returns 0 when the publisher finished the track. A read that waits
/// returns [`io::ErrorKind::Interrupted`] once the stop flag is set, so a
/// caller that checks its own flag on that error stops at once, whether
/// the broadcast has come yet or not.
pub struct SubscriptionReader {
    runtime: tokio::runtime::Runtime,
    state: State,
    pending: Bytes,
    stop: Arc<AtomicBool>,
}

enum State {
    /// Not connected yet: the first read connects.
    Connecting {
        url: RelayUrl,
        options: ClientOptions,
    },
    /// Boxed: a subscriber is far larger than the other states.
    Subscribed(Box<Subscriber>),
    /// The track ended (or the reader gave up on it).
    Ended,
}

impl SubscriptionReader {
    /// A reader of `url`'s broadcast (see [`Subscriber::connect`]); `stop`
    /// set (by a signal handler, say) ends any wait for the relay.
    pub fn new(
        url: &RelayUrl,
        options: &ClientOptions,
        stop: Arc<AtomicBool>,
    ) -> Result<SubscriptionReader, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .thread_name("asp-moq")
            .build()
            .map_err(Error::Runtime)?;
        Ok(SubscriptionReader {
            runtime,
            state: State::Connecting {
                url: url.clone(),
                options: options.clone(),
            },
            pending: Bytes::new(),
            stop,
        })
    }

    /// The subscriber (its catalog, how often it resubscribed), once connected.
    pub fn subscriber(&self) -> Option<&Subscriber> {
        match &self.state {
            State::Subscribed(subscriber) => Some(subscriber.as_ref()),
            _ => None,
        }
    }
}

/// Runs `future` on `runtime` until it completes (`Some`) or `stop` is set (`None`).
fn until_stopped<F: Future>(
    runtime: &tokio::runtime::Runtime,
    stop: &AtomicBool,
    future: F,
) -> Option<F::Output> {
    runtime.block_on(async {
        let stopped = async {
            while !stop.load(Ordering::SeqCst) {
                tokio::time::sleep(STOP_POLL).await;
            }
        };
        tokio::select! {
            output = future => Some(output),
            () = stopped => None,
        }
    })
}

fn stopped() -> io::Error {
    io::Error::new(
        io::ErrorKind::Interrupted,
        "stopped while waiting for the relay",
    )
}

impl Read for SubscriptionReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pending.is_empty() {
            match &mut self.state {
                State::Ended => return Ok(0),
                State::Connecting { url, options } => {
                    match until_stopped(
                        &self.runtime,
                        &self.stop,
                        Subscriber::connect(url, options),
                    ) {
                        None => return Err(stopped()),
                        Some(Ok(subscriber)) => {
                            self.state = State::Subscribed(Box::new(subscriber))
                        }
                        Some(Err(e)) => {
                            self.state = State::Ended;
                            return Err(io::Error::other(e));
                        }
                    }
                }
                State::Subscribed(subscriber) => {
                    match until_stopped(&self.runtime, &self.stop, subscriber.next()) {
                        None => return Err(stopped()),
                        Some(Ok(Some(object))) => self.pending = object.bytes,
                        Some(Ok(None)) => {
                            if let State::Subscribed(subscriber) =
                                std::mem::replace(&mut self.state, State::Ended)
                            {
                                self.runtime.block_on((*subscriber).close());
                            }
                            return Ok(0);
                        }
                        Some(Err(e)) => return Err(io::Error::other(e)),
                    }
                }
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.advance(n);
        Ok(n)
    }
}

impl Drop for SubscriptionReader {
    /// Leaves the relay with a close (otherwise it holds the session until
    /// QUIC's idle timeout): a reader dropped mid-stream, e.g. after a stop.
    fn drop(&mut self) {
        if let State::Subscribed(subscriber) = std::mem::replace(&mut self.state, State::Ended) {
            self.runtime.block_on((*subscriber).close());
        }
    }
}
