//! SIGINT and SIGTERM: the tools finish the packet or frame in hand, flush
//! and put the output in place, then exit with [`crate::exit::INTERRUPTED`].
//! A second signal while that happens exits at once (the staged output is
//! then left under its temporary name, `.NAME.*.part`).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use signal_hook::consts::signal::{SIGINT, SIGTERM};

use crate::exit;

/// Set once a termination signal has arrived.
#[derive(Clone, Debug)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Catches SIGINT and SIGTERM from now on.
    pub fn install() -> io::Result<Interrupt> {
        let flag = Arc::new(AtomicBool::new(false));
        for signal in [SIGINT, SIGTERM] {
            // Registered first, so it only fires once the flag is already set:
            // the second signal.
            signal_hook::flag::register_conditional_shutdown(signal, i32::from(exit::INTERRUPTED), Arc::clone(&flag))?;
            signal_hook::flag::register(signal, Arc::clone(&flag))?;
        }
        Ok(Interrupt(flag))
    }

    /// Whether a signal has arrived.
    pub fn raised(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag, shared, for a wait that runs elsewhere and polls it (a
    /// relay subscription waiting for data).
    pub fn shared_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }

    /// The flag itself, for loops that poll an `AtomicBool`.
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }
}
