//! Peak memory of this process, from `/proc/self/status`.

/// The value in KiB of a `Name:   1234 kB` line of a `/proc/<pid>/status` text.
pub fn status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        let mut parts = rest.split_whitespace();
        let n = parts.next()?.parse().ok()?;
        match parts.next() {
            Some("kB") | None => Some(n),
            Some(_) => None,
        }
    })
}

/// This process's peak resident set size (`VmHWM`) in KiB; `None` where `/proc` is missing.
pub fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    status_kib(&s, "VmHWM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_fields() {
        let text = "Name:\tx\nVmPeak:\t  10000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t 1500 kB\n";
        assert_eq!(status_kib(text, "VmHWM"), Some(2048));
        assert_eq!(status_kib(text, "VmRSS"), Some(1500));
        assert_eq!(status_kib(text, "VmSwap"), None);
        assert_eq!(status_kib("VmHWM:\tlots kB\n", "VmHWM"), None);
        assert_eq!(status_kib("VmHWMX:\t5 kB\n", "VmHWM"), None);
    }

    #[test]
    fn own_peak_grows_when_memory_is_touched() {
        let status = std::fs::read_to_string("/proc/self/status").expect("linux /proc");
        let before = status_kib(&status, "VmRSS").unwrap();
        let v = vec![1u8; 64 << 20];
        std::hint::black_box(&v);
        let after = peak_rss_kib().unwrap();
        assert!(after >= before + 60 * 1024, "{before} -> {after}");
    }
}
