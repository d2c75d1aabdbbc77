//! System-wide views: [`limits`], [`usage`] and [`queues`], the enumeration of every queue.

use crate::queue::{Queue, Status};
use crate::sys::abi::{MsgInfo, Msqid64Ds};
use crate::sys::{InfoCmd, StatCmd};
use crate::{Errno, sys};

/// The system's message-queue limits, from `msgctl(IPC_INFO)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Maximum bytes in one message (`/proc/sys/kernel/msgmax`).
    pub msgmax: u32,
    /// Default byte limit of a new queue (`/proc/sys/kernel/msgmnb`); raising a queue's `qbytes`
    /// above it needs `CAP_SYS_RESOURCE`.
    pub msgmnb: u32,
    /// Maximum number of queues (`/proc/sys/kernel/msgmni`).
    pub msgmni: u32,
    /// Size of the message pool, KiB (informational; Linux does not enforce it).
    pub msgpool: u32,
    /// Maximum messages system-wide (informational).
    pub msgtql: u32,
    /// Message segment size (informational).
    pub msgssz: u32,
    /// Maximum segments (informational).
    pub msgseg: u32,
    /// The highest slot index in use, or -1 when there is no queue: enumeration bound.
    pub max_index: i32,
}

/// What is in use system-wide, from `msgctl(MSG_INFO)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Usage {
    /// Queues that exist.
    pub queues: u32,
    /// Messages queued, over all queues.
    pub messages: u32,
    /// Bytes queued, over all queues.
    pub bytes: u32,
    /// The highest slot index in use, or -1 when there is no queue.
    pub max_index: i32,
}

fn to_u32(v: i32) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// `msgctl(0, IPC_INFO, &msginfo)`: the system's limits.
///
/// ```
/// let l = svmq::limits()?;
/// assert!(l.msgmax > 0 && l.msgmnb >= l.msgmax);
/// # Ok::<(), svmq::Errno>(())
/// ```
#[doc(alias = "IPC_INFO")]
pub fn limits() -> Result<Limits, Errno> {
    let mut info = MsgInfo::default();
    let max_index = sys::msgctl_info(InfoCmd::IpcInfo, &mut info)?;
    Ok(Limits {
        msgmax: to_u32(info.msgmax),
        msgmnb: to_u32(info.msgmnb),
        msgmni: to_u32(info.msgmni),
        msgpool: to_u32(info.msgpool),
        msgtql: to_u32(info.msgtql),
        msgssz: to_u32(info.msgssz),
        msgseg: u32::from(info.msgseg),
        max_index,
    })
}

/// `msgctl(0, MSG_INFO, &msginfo)`: queues, messages and bytes in use system-wide.
#[doc(alias = "MSG_INFO")]
pub fn usage() -> Result<Usage, Errno> {
    let mut info = MsgInfo::default();
    let max_index = sys::msgctl_info(InfoCmd::MsgInfo, &mut info)?;
    Ok(Usage { queues: to_u32(info.msgpool), messages: to_u32(info.msgmap), bytes: to_u32(info.msgtql), max_index })
}

/// Which `msgctl` command an enumeration used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatCommand {
    /// `MSG_STAT_ANY` (Linux 4.17+): every queue, readable or not.
    StatAny,
    /// `MSG_STAT`: queues the caller cannot read answer `EACCES` and are skipped.
    Stat,
}

/// The status of the queue in slot `index`, and its id: `msgctl(index, MSG_STAT_ANY)`, falling back to
/// `MSG_STAT` on kernels (or emulators) that do not know `MSG_STAT_ANY`.
///
/// # Errors
///
/// `EINVAL` for an empty slot; `EACCES` under `MSG_STAT` for a queue the caller cannot read.
pub fn stat_index(index: i32) -> Result<(Queue, Status), Errno> {
    let mut cmd = StatCommand::StatAny;
    stat_slot(index, &mut cmd)
}

/// One slot; `cmd` is downgraded to `MSG_STAT` for good once `MSG_STAT_ANY` proves unknown.
fn stat_slot(index: i32, cmd: &mut StatCommand) -> Result<(Queue, Status), Errno> {
    let mut ds = Msqid64Ds::default();
    let res = match *cmd {
        StatCommand::StatAny => match sys::msgctl_stat(index, StatCmd::MsgStatAny, &mut ds) {
            // EINVAL is both "empty slot" and "unknown command": MSG_STAT tells them apart. If it finds a
            // queue (or one it may not read), MSG_STAT_ANY is what the kernel did not know.
            Err(Errno::INVAL) => match sys::msgctl_stat(index, StatCmd::MsgStat, &mut ds) {
                Err(Errno::INVAL) => Err(Errno::INVAL),
                other => {
                    *cmd = StatCommand::Stat;
                    other
                }
            },
            other => other,
        },
        StatCommand::Stat => sys::msgctl_stat(index, StatCmd::MsgStat, &mut ds),
    };
    let id = res?;
    Ok((Queue::from_id(id), Status::from_raw(&ds)))
}

/// Every queue on the system, with its status: slots `0..=max_index` through `MSG_STAT_ANY`.
///
/// Queues the caller cannot read are included where the kernel allows (`MSG_STAT_ANY`, Linux 4.17+);
/// on kernels or emulators without it, enumeration falls back to `MSG_STAT`, which skips them
/// ([`Queues::command`] tells which was used). Queues created or removed during the walk may or may
/// not be seen, as with `ipcs`.
///
/// ```
/// let q = svmq::Queue::private(0o600)?;
/// assert!(svmq::queues()?.any(|(found, _)| found == q));
/// q.remove()?;
/// # Ok::<(), svmq::Errno>(())
/// ```
#[doc(alias = "MSG_STAT_ANY")]
#[doc(alias = "ipcs")]
pub fn queues() -> Result<Queues, Errno> {
    let usage = usage()?;
    Ok(Queues { next: 0, max_index: usage.max_index, command: StatCommand::StatAny })
}

/// Iterator returned by [`queues`].
#[derive(Clone, Debug)]
pub struct Queues {
    next: i32,
    max_index: i32,
    command: StatCommand,
}

impl Queues {
    /// The command in use: `MSG_STAT_ANY`, or `MSG_STAT` after a fallback.
    pub fn command(&self) -> StatCommand {
        self.command
    }
}

impl Iterator for Queues {
    type Item = (Queue, Status);

    fn next(&mut self) -> Option<Self::Item> {
        while self.next <= self.max_index {
            let index = self.next;
            self.next += 1;
            // Empty slots (EINVAL) and, under MSG_STAT, unreadable queues (EACCES) are skipped.
            if let Ok(found) = stat_slot(index, &mut self.command) {
                return Some(found);
            }
        }
        None
    }
}
