//! Thread pools for the `threads=` argument.
//!
//! `threads=None` runs on rayon's global pool (every core). `threads=N`
//! runs on a pool of exactly N workers, made on first use and kept, so a
//! program can run several calls side by side from Python threads (the GIL
//! is released) without each one fighting for every core.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyResult;
use rayon::ThreadPool;

/// Most workers a pool may have.
const MAX_THREADS: i64 = 256;

/// A checked `threads=` value: `None` is the global pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threads(Option<usize>);

impl Threads {
    pub fn from_arg(threads: Option<i64>) -> PyResult<Threads> {
        match threads {
            None => Ok(Threads(None)),
            Some(n) if (1..=MAX_THREADS).contains(&n) => Ok(Threads(Some(n as usize))),
            Some(n) => Err(PyValueError::new_err(format!(
                "threads must be None or in 1..={MAX_THREADS}, got {n}"
            ))),
        }
    }

    pub fn get(self) -> Option<usize> {
        self.0
    }

    /// The pool to run on (`None`: the global one). Call with the GIL held;
    /// then run with [`run`] after releasing it.
    pub fn pool(self) -> PyResult<Option<Arc<ThreadPool>>> {
        let Some(n) = self.0 else { return Ok(None) };
        static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();
        let mut pools = POOLS
            .get_or_init(Default::default)
            .lock()
            .map_err(|_| PyRuntimeError::new_err("thread pool registry is poisoned"))?;
        if let Some(pool) = pools.get(&n) {
            return Ok(Some(pool.clone()));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(move |i| format!("libasp-{n}-{i}"))
            .build()
            .map_err(|e| PyRuntimeError::new_err(format!("cannot start {n} threads: {e}")))?;
        let pool = Arc::new(pool);
        pools.insert(n, pool.clone());
        Ok(Some(pool))
    }
}

/// Runs `job` on `pool` (or the global pool).
pub fn run<T: Send>(pool: Option<&ThreadPool>, job: impl FnOnce() -> T + Send) -> T {
    match pool {
        Some(pool) => pool.install(job),
        None => job(),
    }
}
