//! What a process costs, from /proc/PID: CPU time (user + system, stat
//! fields 14 and 15) and resident memory (VmRSS in status).

use std::time::Duration;

use anyhow::{bail, Context, Result};

/// One reading of a process.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub cpu: Duration,
    pub rss_kib: u64,
}

pub fn sample(pid: u32) -> Result<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("/proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces:
    // the fields after it start at the last ')'.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("/proc/PID/stat has no ')'")?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Field 3 (state) is fields[0]; utime and stime are fields 14 and 15.
    let (Some(utime), Some(stime)) = (fields.get(11), fields.get(12)) else {
        bail!("/proc/{pid}/stat is short");
    };
    let ticks: u64 = utime.parse::<u64>()? + stime.parse::<u64>()?;
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks_per_second <= 0 {
        bail!("sysconf(_SC_CLK_TCK) failed");
    }
    let cpu = Duration::from_secs_f64(ticks as f64 / ticks_per_second as f64);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .context("no VmRSS in /proc/PID/status")?
        .parse()?;
    Ok(Sample { cpu, rss_kib })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let s = super::sample(std::process::id()).unwrap();
        assert!(s.rss_kib > 0);
    }
}
