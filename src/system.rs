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
    /// The highest slot index in use: the enumeration bound. 0 when there is no queue, as when the only
    /// queue is in slot 0: the kernel answers `max(highest index, 0)`, never -1.
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
    /// The highest slot index in use: the enumeration bound. 0 when there is no queue (`queues` is then
    /// 0), as when the only queue is in slot 0: the kernel answers `max(highest index, 0)`, never -1.
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
/// Both answer `EINVAL` for an empty slot, and a kernel without `MSG_STAT_ANY` answers `EINVAL` to it
/// for every slot: an `EINVAL` is checked with `MSG_STAT` (two system calls for an empty slot; four
/// for a queue on a kernel without `MSG_STAT_ANY`). [`queues`] decides once and then uses one.
///
/// # Errors
///
/// `EINVAL` for an empty slot; `EACCES` under `MSG_STAT` for a queue the caller cannot read.
pub fn stat_index(index: i32) -> Result<(Queue, Status), Errno> {
    let mut ds = Msqid64Ds::default();
    let id = stat_slot(index, &mut AnySupport::Unknown, &mut ds, &mut kernel_stat).0?;
    Ok((Queue::from_id(id), Status::from_raw(&ds)))
}

/// What an enumeration knows about `MSG_STAT_ANY`. It changes only on a definite answer, never back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AnySupport {
    /// No definite answer yet: every slot is asked with `MSG_STAT_ANY`, an `EINVAL` checked with `MSG_STAT`.
    Unknown,
    /// The kernel knows `MSG_STAT_ANY`: it answered something other than `EINVAL`.
    Yes,
    /// The kernel does not know `MSG_STAT_ANY`: it answered `EINVAL` while `MSG_STAT` found the same
    /// queue (same id) in that slot just before and just after.
    No,
}

/// `msgctl(index, cmd, ds)`: the one real system call behind [`stat_slot`].
fn kernel_stat(index: i32, cmd: StatCommand, ds: &mut Msqid64Ds) -> Result<i32, Errno> {
    let raw = match cmd {
        StatCommand::StatAny => StatCmd::MsgStatAny,
        StatCommand::Stat => StatCmd::MsgStat,
    };
    sys::msgctl_stat(index, raw, ds)
}

/// One slot: the queue's id, its status in `ds` (written by the last successful call only: the kernel
/// writes the buffer on success alone), and the command that gave this answer. `stat` issues `msgctl(index, cmd, ds)`; `support` moves from
/// `Unknown` only on a definite answer, so a queue appearing or vanishing between two calls can never
/// switch an enumeration to `MSG_STAT` (which would then skip every unreadable queue).
fn stat_slot<F>(
    index: i32,
    support: &mut AnySupport,
    ds: &mut Msqid64Ds,
    stat: &mut F,
) -> (Result<i32, Errno>, StatCommand)
where
    F: FnMut(i32, StatCommand, &mut Msqid64Ds) -> Result<i32, Errno>,
{
    match *support {
        AnySupport::Yes => return (stat(index, StatCommand::StatAny, ds), StatCommand::StatAny),
        AnySupport::No => return (stat(index, StatCommand::Stat, ds), StatCommand::Stat),
        AnySupport::Unknown => {}
    }
    // A kernel that does not know a command answers EINVAL before looking at anything else: any other
    // answer (a queue, EACCES from a security module, EFAULT) proves MSG_STAT_ANY known.
    let any = stat(index, StatCommand::StatAny, ds);
    if any != Err(Errno::INVAL) {
        *support = AnySupport::Yes;
        return (any, StatCommand::StatAny);
    }
    // EINVAL: an empty slot, or an unknown command. If MSG_STAT finds the slot empty too, it is empty
    // under either reading; nothing learned.
    let before = stat(index, StatCommand::Stat, ds);
    if before == Err(Errno::INVAL) {
        return (before, StatCommand::Stat);
    }
    // A queue is there now. Either MSG_STAT_ANY is unknown, or the queue appeared after the first
    // question: ask again.
    let again = stat(index, StatCommand::StatAny, ds);
    if again != Err(Errno::INVAL) {
        *support = AnySupport::Yes;
        return (again, StatCommand::StatAny);
    }
    // EINVAL again, with a queue in the slot, unless it vanished meanwhile. MSG_STAT once more: the same
    // id proves the same queue was there all along (a new queue in a slot gets a new id), so MSG_STAT_ANY
    // is unknown. Anything else (EACCES hides the id) leaves the question open.
    let after = stat(index, StatCommand::Stat, ds);
    if let (Ok(a), Ok(b)) = (before, after)
        && a == b
    {
        *support = AnySupport::No;
    }
    (after, StatCommand::Stat)
}

/// Every queue on the system, with its status: slots `0..=max_index` through `MSG_STAT_ANY`.
///
/// Queues the caller cannot read are included where the kernel allows (`MSG_STAT_ANY`, Linux 4.17+);
/// on kernels or emulators without it, enumeration falls back to `MSG_STAT`, which skips them
/// ([`Queues::command`] tells which was used). Whether `MSG_STAT_ANY` is known is decided once, from a
/// definite answer (usually the first question, asked of the highest slot in use), so each slot then
/// costs one system call. Queues created or removed during the walk may or may not be seen, as with
/// `ipcs`.
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
    Ok(Queues::start(&usage, &mut kernel_stat))
}

/// Iterator returned by [`queues`].
#[derive(Clone, Debug)]
pub struct Queues {
    next: i32,
    max_index: i32,
    support: AnySupport,
    /// A queue was read, or skipped as unreadable, through `MSG_STAT` while `support` was `Unknown`.
    read_with_stat: bool,
}

impl Queues {
    /// The walk over `0..=usage.max_index`. When queues exist, the highest slot in use is asked with
    /// `MSG_STAT_ANY` first: a queue there (the usual case) settles the question before the walk, so
    /// that no empty slot costs two system calls.
    fn start<F>(usage: &Usage, stat: &mut F) -> Self
    where
        F: FnMut(i32, StatCommand, &mut Msqid64Ds) -> Result<i32, Errno>,
    {
        let mut support = AnySupport::Unknown;
        if usage.queues > 0
            && stat(usage.max_index, StatCommand::StatAny, &mut Msqid64Ds::default()) != Err(Errno::INVAL)
        {
            support = AnySupport::Yes;
        }
        Self { next: 0, max_index: usage.max_index, support, read_with_stat: false }
    }

    /// The next queue found, by its id, with its status in `ds`.
    fn next_with<F>(&mut self, ds: &mut Msqid64Ds, stat: &mut F) -> Option<i32>
    where
        F: FnMut(i32, StatCommand, &mut Msqid64Ds) -> Result<i32, Errno>,
    {
        while self.next <= self.max_index {
            let index = self.next;
            self.next += 1;
            // Empty slots (EINVAL) and, under MSG_STAT, unreadable queues (EACCES) are skipped.
            let (answer, cmd) = stat_slot(index, &mut self.support, ds, stat);
            if cmd == StatCommand::Stat && answer != Err(Errno::INVAL) {
                self.read_with_stat = true;
            }
            if let Ok(id) = answer {
                return Some(id);
            }
        }
        None
    }

    /// The command the walk has relied on: `MSG_STAT_ANY`; or `MSG_STAT` once the kernel has shown it
    /// does not know `MSG_STAT_ANY`, or when, before that was settled, a queue was read (or skipped as
    /// unreadable) through `MSG_STAT`: then unreadable queues may be missing.
    pub fn command(&self) -> StatCommand {
        match self.support {
            AnySupport::Yes => StatCommand::StatAny,
            AnySupport::No => StatCommand::Stat,
            AnySupport::Unknown if self.read_with_stat => StatCommand::Stat,
            AnySupport::Unknown => StatCommand::StatAny,
        }
    }
}

impl Iterator for Queues {
    type Item = (Queue, Status);

    fn next(&mut self) -> Option<Self::Item> {
        let mut ds = Msqid64Ds::default();
        let id = self.next_with(&mut ds, &mut kernel_stat)?;
        Some((Queue::from_id(id), Status::from_raw(&ds)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    type Slot = Option<(i32, bool)>;

    /// A model of the kernel's answers to MSG_STAT/MSG_STAT_ANY: slots hold (id, readable by the
    /// caller); `race` puts new contents in a slot just before the n-th call; every call is logged.
    struct Kernel {
        slots: Vec<Slot>,
        knows_any: bool,
        race: Option<(usize, usize, Slot)>,
        calls: Vec<(i32, StatCommand)>,
    }

    impl Kernel {
        fn new(knows_any: bool, slots: &[Slot]) -> Self {
            Self { slots: slots.to_vec(), knows_any, race: None, calls: Vec::new() }
        }

        fn stat(&mut self, index: i32, cmd: StatCommand, ds: &mut Msqid64Ds) -> Result<i32, Errno> {
            if let Some((at, slot, contents)) = self.race
                && at == self.calls.len()
            {
                self.slots[slot] = contents;
            }
            self.calls.push((index, cmd));
            if cmd == StatCommand::StatAny && !self.knows_any {
                return Err(Errno::INVAL);
            }
            match self.slots.get(index as usize).copied().flatten() {
                None => Err(Errno::INVAL),
                Some((_, false)) if cmd == StatCommand::Stat => Err(Errno::ACCESS),
                Some((id, _)) => {
                    *ds = Msqid64Ds::default();
                    ds.msg_qnum = id as _;
                    Ok(id)
                }
            }
        }

        fn slot(&mut self, index: i32, support: &mut AnySupport) -> Result<i32, Errno> {
            let mut ds = Msqid64Ds::default();
            let r = stat_slot(index, support, &mut ds, &mut |i, c, d: &mut Msqid64Ds| self.stat(i, c, d)).0;
            if let Ok(id) = r {
                assert_eq!(ds.msg_qnum, id as _, "the status is the found queue's");
            }
            r
        }

        /// A whole walk: the ids found, the command reported at the end.
        fn walk(&mut self) -> (Vec<i32>, StatCommand) {
            let queues = self.slots.iter().filter(|s| s.is_some()).count() as u32;
            let max_index = self.slots.iter().rposition(Option::is_some).unwrap_or(0) as i32;
            let usage = Usage { queues, messages: 0, bytes: 0, max_index };
            let mut stat = |i, c, d: &mut Msqid64Ds| self.stat(i, c, d);
            let mut it = Queues::start(&usage, &mut stat);
            let mut ds = Msqid64Ds::default();
            let mut found = Vec::new();
            while let Some(id) = it.next_with(&mut ds, &mut stat) {
                assert_eq!(ds.msg_qnum, id as _);
                found.push(id);
            }
            (found, it.command())
        }

        fn commands(&self) -> Vec<StatCommand> {
            self.calls.iter().map(|&(_, c)| c).collect()
        }
    }

    use StatCommand::{Stat, StatAny};

    #[test]
    fn a_queue_appearing_between_the_two_questions_does_not_switch_to_msg_stat() {
        // Slot 0 is empty for the first MSG_STAT_ANY; an unreadable queue appears before MSG_STAT.
        let mut k = Kernel::new(true, &[None, Some((40, false))]);
        k.race = Some((1, 0, Some((7, false))));
        let mut support = AnySupport::Unknown;
        assert_eq!(k.slot(0, &mut support), Ok(7));
        assert_eq!(support, AnySupport::Yes);
        assert_eq!(k.commands(), [StatAny, Stat, StatAny]);
        // The next unreadable queue is still seen, with one call.
        assert_eq!(k.slot(1, &mut support), Ok(40));
        assert_eq!(k.calls.len(), 4);
    }

    #[test]
    fn without_msg_stat_any_the_same_queue_twice_decides_msg_stat() {
        let mut k = Kernel::new(false, &[Some((5, true)), None, Some((9, false))]);
        let mut support = AnySupport::Unknown;
        assert_eq!(k.slot(0, &mut support), Ok(5));
        assert_eq!(support, AnySupport::No);
        assert_eq!(k.commands(), [StatAny, Stat, StatAny, Stat]);
        assert_eq!(k.slot(1, &mut support), Err(Errno::INVAL));
        assert_eq!(k.slot(2, &mut support), Err(Errno::ACCESS));
        assert_eq!(k.commands()[4..], [Stat, Stat], "one call per slot once decided");
    }

    #[test]
    fn a_queue_vanishing_or_replaced_meanwhile_leaves_the_question_open() {
        for (replacement, expected) in [(None, Err(Errno::INVAL)), (Some((6, true)), Ok(6))] {
            let mut k = Kernel::new(false, &[Some((5, true))]);
            k.race = Some((3, 0, replacement));
            let mut support = AnySupport::Unknown;
            assert_eq!(k.slot(0, &mut support), expected);
            assert_eq!(support, AnySupport::Unknown);
        }
    }

    #[test]
    fn an_unreadable_queue_without_msg_stat_any_leaves_the_question_open() {
        let mut k = Kernel::new(false, &[Some((5, false))]);
        let mut support = AnySupport::Unknown;
        assert_eq!(k.slot(0, &mut support), Err(Errno::ACCESS));
        assert_eq!(support, AnySupport::Unknown);
    }

    #[test]
    fn an_empty_slot_learns_nothing() {
        for knows_any in [true, false] {
            let mut k = Kernel::new(knows_any, &[None]);
            let mut support = AnySupport::Unknown;
            assert_eq!(k.slot(0, &mut support), Err(Errno::INVAL));
            assert_eq!((support, k.commands()), (AnySupport::Unknown, [StatAny, Stat].to_vec()));
        }
    }

    #[test]
    fn a_walk_decides_first_and_then_asks_each_slot_once() {
        let slots = [None, None, Some((3, false)), None, Some((8, true))];
        let mut k = Kernel::new(true, &slots);
        assert_eq!(k.walk(), ([3, 8].to_vec(), StatAny));
        assert_eq!(k.calls.len(), 1 + slots.len(), "{:?}", k.calls);
        assert_eq!(k.calls[0], (4, StatAny), "the highest slot in use is asked first");
    }

    #[test]
    fn a_walk_without_msg_stat_any_falls_back_once_and_skips_unreadable_queues() {
        let slots = [None, Some((1, true)), Some((2, false)), None, Some((3, true))];
        let mut k = Kernel::new(false, &slots);
        assert_eq!(k.walk(), ([1, 3].to_vec(), Stat));
        // probe, empty slot 0 (two), slot 1 (four, decides), then one for each of the last three
        assert_eq!(k.calls.len(), 1 + 2 + 4 + 3, "{:?}", k.calls);
    }

    #[test]
    fn a_walk_that_only_met_unreadable_queues_through_msg_stat_says_so() {
        // Without MSG_STAT_ANY and with no readable queue, the question stays open; the walk still
        // reports MSG_STAT, since it may have missed the queues it could not read.
        let mut k = Kernel::new(false, &[Some((1, false)), None, Some((2, false))]);
        assert_eq!(k.walk(), (Vec::new(), Stat));
        // With MSG_STAT_ANY, the same queues are found.
        let mut k = Kernel::new(true, &[Some((1, false)), None, Some((2, false))]);
        assert_eq!(k.walk(), ([1, 2].to_vec(), StatAny));
    }

    #[test]
    fn a_walk_of_an_empty_system_asks_slot_zero() {
        let mut k = Kernel::new(true, &[]);
        assert_eq!(k.walk(), (Vec::new(), StatAny));
        assert_eq!(k.commands(), [StatAny, Stat]);
    }
}
