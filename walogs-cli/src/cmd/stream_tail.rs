//! `walogs tail DIR --topic T [--from LSN | --since-ms T_MS] [-f] [--hex] [--headers]`:
//! print the records of one topic in LSN order, from its oldest record, from `--from`, or
//! from the first record stamped at or after `--since-ms`.
//!
//! Opens the store read-only (no lock, nothing written, read access to the files is enough),
//! so it works beside a live writer. Records are read in chunks of at most
//! [`CHUNK_RECORDS`] records and [`CHUNK_BYTES`] bytes (memory stays at one chunk). Without
//! `-f` it prints what the store held when it was opened and exits 0. With `-f` it then polls
//! every [`POLL`]: [`Streams::refresh`] indexes what the writer appended since, and the new
//! records are printed; records retention deletes before they are printed are skipped with a
//! note on stderr. It ends with exit 0 on SIGINT or SIGTERM (after flushing) or when its
//! stdout's reader goes away.

use std::io::{self, BufWriter, Write};
use std::time::Duration;

use walogs_streams::{Streams, StreamsError};

use crate::cli::TailArgs;
use crate::error::{CliError, EXIT_OK};
use crate::output::write_error;
use crate::records::{RecordFormat, write_record};
use crate::signals;
use crate::store::{self, printable};

/// Most records one read returns.
pub const CHUNK_RECORDS: usize = 4096;
/// Most bytes of data and headers one read returns (at least one record is returned).
pub const CHUNK_BYTES: usize = 1 << 20;
/// How often `-f` looks for new records.
pub const POLL: Duration = Duration::from_millis(100);
/// How often `-f` looks for a signal or a closed stdout while it waits.
const TICK: Duration = Duration::from_millis(20);

/// Run `tail`; `json` prints one JSON object per record.
pub fn run(args: &TailArgs, json: bool) -> Result<u8, CliError> {
    if args.follow {
        signals::catch_interrupts()
            .map_err(|e| CliError::io("cannot install the SIGINT/SIGTERM handler", e))?;
    }
    let store = store::open_read_only(&args.dir)?;
    let result = print_topic(&store, args, json);
    match store::close_after(store, result) {
        Ok(()) | Err(CliError::StdoutClosed) => Ok(EXIT_OK),
        Err(e) => Err(e),
    }
}

/// Where to start: `--from` (checked against the topic's live range), `--since-ms`, or the
/// topic's oldest record.
fn start(store: &Streams, args: &TailArgs) -> Result<u64, CliError> {
    let info = store.topic(&args.topic)?;
    match (args.from, args.since_ms) {
        (Some(lsn), _) if lsn < info.first_lsn || lsn > info.next_lsn => {
            Err(CliError::Streams(StreamsError::LsnOutOfRange {
                topic: info.name,
                lsn,
                first: info.first_lsn,
                next: info.next_lsn,
            }))
        }
        (Some(lsn), _) => Ok(lsn),
        (None, Some(t)) => Ok(store.seek_time(&args.topic, t)?),
        (None, None) => Ok(info.first_lsn),
    }
}

/// What one read from a position gave.
enum Step {
    /// Records were printed up to (not including) this position.
    Printed(u64),
    /// Nothing after the position yet.
    CaughtUp,
    /// Retention deleted the records from the position up to (not including) this LSN.
    Deleted(u64),
}

fn print_topic(store: &Streams, args: &TailArgs, json: bool) -> Result<(), CliError> {
    let format = RecordFormat {
        json,
        hex: args.hex,
        headers: args.headers,
    };
    let mut pos = start(store, args)?;
    let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
    loop {
        if signals::interrupted() {
            break;
        }
        match read_from(store, &args.topic, pos, format, &mut out)? {
            Step::Printed(next) => {
                pos = next;
                if args.follow {
                    out.flush().map_err(write_error)?;
                }
                continue;
            }
            Step::Deleted(first) => {
                out.flush().map_err(write_error)?;
                eprintln!(
                    "walogs: tail: topic {}: records {pos}..={} were deleted by retention before they were printed",
                    printable(&args.topic),
                    first - 1
                );
                pos = first;
                continue;
            }
            Step::CaughtUp => {}
        }
        out.flush().map_err(write_error)?;
        if !args.follow || !wait() {
            break;
        }
        store.refresh()?;
    }
    out.flush().map_err(write_error)
}

/// Print the records from `pos` that one read returns.
fn read_from(
    store: &Streams,
    topic: &str,
    pos: u64,
    format: RecordFormat,
    out: &mut impl Write,
) -> Result<Step, CliError> {
    match store.read_range(topic, pos, CHUNK_RECORDS, CHUNK_BYTES) {
        Ok(records) => {
            let Some(last) = records.last() else {
                return Ok(Step::CaughtUp);
            };
            let next = last.lsn + 1;
            for r in &records {
                write_record(out, format, r).map_err(write_error)?;
            }
            Ok(Step::Printed(next))
        }
        Err(StreamsError::LsnOutOfRange { first, .. }) if pos < first => Ok(Step::Deleted(first)),
        Err(StreamsError::LsnOutOfRange { next, .. }) if pos >= next => Ok(Step::CaughtUp),
        Err(e) => Err(e.into()),
    }
}

/// Wait [`POLL`]; false when the command must end instead (a signal, or stdout's reader
/// gone).
fn wait() -> bool {
    let mut waited = Duration::ZERO;
    while waited < POLL {
        if signals::interrupted() || signals::stdout_closed() {
            return false;
        }
        std::thread::sleep(TICK);
        waited += TICK;
    }
    !signals::interrupted()
}
