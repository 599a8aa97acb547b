//! `walogs stream-append DIR TOPIC [--header TEXT] [--timestamp-ms N] [DATA...]`: append
//! records to a topic of a streams store and print each record's LSN once the append that
//! made it durable returned `Ok`: a line printed is an acknowledgment.
//!
//! DATA arguments are one atomic batch (all of them or none after a crash; one write and one
//! fdatasync). Without DATA, each line of stdin is one record, appended and acknowledged on
//! its own (one fdatasync each; a trailing `\n` or `\r\n` is not part of the record).
//! Creates the store (and the directory) when missing; a plain walogs log is refused
//! (exit 1). Takes the write lock (exit 4 when another writer holds it).

use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::os::unix::ffi::OsStrExt;

use walogs_streams::{NewRecord, Streams, StreamsOptions};

use crate::cli::StreamAppendArgs;
use crate::error::{CliError, EXIT_OK};
use crate::output::{count, write_error};
use crate::store::{self, printable};

/// Run `stream-append`; prints one LSN per line (a JSON object per line with --json).
pub fn run(args: &StreamAppendArgs, json: bool) -> Result<u8, CliError> {
    let store = StreamsOptions::new().open(&args.dir)?;
    let result = append(&store, args, json);
    let (first, last) = store::close_after(store, result)?;
    if !json && last >= first {
        eprintln!(
            "appended {} (LSN {first}..={last}) to topic {} of {}",
            count(last - first + 1, "record", "records"),
            printable(&args.topic),
            args.dir.display()
        );
    }
    Ok(EXIT_OK)
}

/// Append every record; returns the first and last LSN appended (`first > last`: none).
fn append(store: &Streams, args: &StreamAppendArgs, json: bool) -> Result<(u64, u64), CliError> {
    let header = args.header.as_deref().map_or(&[][..], |h| h.as_bytes());
    let timestamp_ms = args.timestamp_ms;

    let mut out = io::stdout().lock();
    if !args.data.is_empty() {
        let records: Vec<NewRecord<'_>> = args
            .data
            .iter()
            .map(|d: &OsString| record(d.as_bytes(), header, timestamp_ms))
            .collect();
        let (first, last) = if let [one] = records.as_slice() {
            let lsn = store.append_record(&args.topic, *one)?;
            (lsn, lsn)
        } else {
            let range = store.append_batch(&args.topic, &records)?;
            (range.first, range.last)
        };
        acknowledge(&mut out, first, last, json)?;
        return Ok((first, last));
    }
    let mut stdin = io::stdin().lock();
    let (mut first, mut last) = (1, 0);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = stdin
            .read_until(b'\n', &mut line)
            .map_err(|e| CliError::io("cannot read stdin", e))?;
        if n == 0 {
            return Ok((first, last));
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        let lsn = store.append_record(&args.topic, record(&line, header, timestamp_ms))?;
        if last < first {
            first = lsn;
        }
        last = lsn;
        acknowledge(&mut out, lsn, lsn, json)?;
    }
}

/// A record of `data` with the header and timestamp every record of the command gets.
fn record<'a>(data: &'a [u8], header: &'a [u8], timestamp_ms: Option<u64>) -> NewRecord<'a> {
    NewRecord {
        data,
        header,
        timestamp_ms,
    }
}

/// Print the LSNs `first..=last` and flush, so that a reader of our stdout sees each
/// acknowledgment as soon as it is true.
fn acknowledge(out: &mut impl Write, first: u64, last: u64, json: bool) -> Result<(), CliError> {
    for lsn in first..=last {
        if json {
            writeln!(out, "{{\"lsn\":{lsn}}}")
        } else {
            writeln!(out, "{lsn}")
        }
        .map_err(write_error)?;
    }
    out.flush().map_err(write_error)
}
