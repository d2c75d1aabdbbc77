// Generated once from glibc's strerror() and <errno.h> names (Python's `errno`/`os.strerror`);
// Linux uses the asm-generic numbering on every supported architecture (powerpc adds EDEADLOCK 58, not
// listed). Every string ends in NUL so the C ABI can hand out a pointer to it; `errno.rs` strips the NUL
// for Rust callers.
//
// `TABLE` exists at compile time only: it is packed into one string (`STRINGS`, each string ending in
// its NUL) and the numbers (`ERRNOS`), so the binary carries no table of pointers (two per errno: 5.2 KiB
// on 64-bit targets, 2.6 KiB on 32-bit ones); a lookup counts NULs.

/// `(errno, name, description)` for every errno Linux defines.
const TABLE: &[(i32, &str, &str)] = &[
    (1, "EPERM\0", "Operation not permitted\0"),
    (2, "ENOENT\0", "No such file or directory\0"),
    (3, "ESRCH\0", "No such process\0"),
    (4, "EINTR\0", "Interrupted system call\0"),
    (5, "EIO\0", "Input/output error\0"),
    (6, "ENXIO\0", "No such device or address\0"),
    (7, "E2BIG\0", "Argument list too long\0"),
    (8, "ENOEXEC\0", "Exec format error\0"),
    (9, "EBADF\0", "Bad file descriptor\0"),
    (10, "ECHILD\0", "No child processes\0"),
    (11, "EAGAIN\0", "Resource temporarily unavailable\0"),
    (12, "ENOMEM\0", "Cannot allocate memory\0"),
    (13, "EACCES\0", "Permission denied\0"),
    (14, "EFAULT\0", "Bad address\0"),
    (15, "ENOTBLK\0", "Block device required\0"),
    (16, "EBUSY\0", "Device or resource busy\0"),
    (17, "EEXIST\0", "File exists\0"),
    (18, "EXDEV\0", "Invalid cross-device link\0"),
    (19, "ENODEV\0", "No such device\0"),
    (20, "ENOTDIR\0", "Not a directory\0"),
    (21, "EISDIR\0", "Is a directory\0"),
    (22, "EINVAL\0", "Invalid argument\0"),
    (23, "ENFILE\0", "Too many open files in system\0"),
    (24, "EMFILE\0", "Too many open files\0"),
    (25, "ENOTTY\0", "Inappropriate ioctl for device\0"),
    (26, "ETXTBSY\0", "Text file busy\0"),
    (27, "EFBIG\0", "File too large\0"),
    (28, "ENOSPC\0", "No space left on device\0"),
    (29, "ESPIPE\0", "Illegal seek\0"),
    (30, "EROFS\0", "Read-only file system\0"),
    (31, "EMLINK\0", "Too many links\0"),
    (32, "EPIPE\0", "Broken pipe\0"),
    (33, "EDOM\0", "Numerical argument out of domain\0"),
    (34, "ERANGE\0", "Numerical result out of range\0"),
    (35, "EDEADLK\0", "Resource deadlock avoided\0"),
    (36, "ENAMETOOLONG\0", "File name too long\0"),
    (37, "ENOLCK\0", "No locks available\0"),
    (38, "ENOSYS\0", "Function not implemented\0"),
    (39, "ENOTEMPTY\0", "Directory not empty\0"),
    (40, "ELOOP\0", "Too many levels of symbolic links\0"),
    (42, "ENOMSG\0", "No message of desired type\0"),
    (43, "EIDRM\0", "Identifier removed\0"),
    (44, "ECHRNG\0", "Channel number out of range\0"),
    (45, "EL2NSYNC\0", "Level 2 not synchronized\0"),
    (46, "EL3HLT\0", "Level 3 halted\0"),
    (47, "EL3RST\0", "Level 3 reset\0"),
    (48, "ELNRNG\0", "Link number out of range\0"),
    (49, "EUNATCH\0", "Protocol driver not attached\0"),
    (50, "ENOCSI\0", "No CSI structure available\0"),
    (51, "EL2HLT\0", "Level 2 halted\0"),
    (52, "EBADE\0", "Invalid exchange\0"),
    (53, "EBADR\0", "Invalid request descriptor\0"),
    (54, "EXFULL\0", "Exchange full\0"),
    (55, "ENOANO\0", "No anode\0"),
    (56, "EBADRQC\0", "Invalid request code\0"),
    (57, "EBADSLT\0", "Invalid slot\0"),
    (59, "EBFONT\0", "Bad font file format\0"),
    (60, "ENOSTR\0", "Device not a stream\0"),
    (61, "ENODATA\0", "No data available\0"),
    (62, "ETIME\0", "Timer expired\0"),
    (63, "ENOSR\0", "Out of streams resources\0"),
    (64, "ENONET\0", "Machine is not on the network\0"),
    (65, "ENOPKG\0", "Package not installed\0"),
    (66, "EREMOTE\0", "Object is remote\0"),
    (67, "ENOLINK\0", "Link has been severed\0"),
    (68, "EADV\0", "Advertise error\0"),
    (69, "ESRMNT\0", "Srmount error\0"),
    (70, "ECOMM\0", "Communication error on send\0"),
    (71, "EPROTO\0", "Protocol error\0"),
    (72, "EMULTIHOP\0", "Multihop attempted\0"),
    (73, "EDOTDOT\0", "RFS specific error\0"),
    (74, "EBADMSG\0", "Bad message\0"),
    (75, "EOVERFLOW\0", "Value too large for defined data type\0"),
    (76, "ENOTUNIQ\0", "Name not unique on network\0"),
    (77, "EBADFD\0", "File descriptor in bad state\0"),
    (78, "EREMCHG\0", "Remote address changed\0"),
    (79, "ELIBACC\0", "Can not access a needed shared library\0"),
    (80, "ELIBBAD\0", "Accessing a corrupted shared library\0"),
    (81, "ELIBSCN\0", ".lib section in a.out corrupted\0"),
    (82, "ELIBMAX\0", "Attempting to link in too many shared libraries\0"),
    (83, "ELIBEXEC\0", "Cannot exec a shared library directly\0"),
    (84, "EILSEQ\0", "Invalid or incomplete multibyte or wide character\0"),
    (85, "ERESTART\0", "Interrupted system call should be restarted\0"),
    (86, "ESTRPIPE\0", "Streams pipe error\0"),
    (87, "EUSERS\0", "Too many users\0"),
    (88, "ENOTSOCK\0", "Socket operation on non-socket\0"),
    (89, "EDESTADDRREQ\0", "Destination address required\0"),
    (90, "EMSGSIZE\0", "Message too long\0"),
    (91, "EPROTOTYPE\0", "Protocol wrong type for socket\0"),
    (92, "ENOPROTOOPT\0", "Protocol not available\0"),
    (93, "EPROTONOSUPPORT\0", "Protocol not supported\0"),
    (94, "ESOCKTNOSUPPORT\0", "Socket type not supported\0"),
    (95, "ENOTSUP\0", "Operation not supported\0"),
    (96, "EPFNOSUPPORT\0", "Protocol family not supported\0"),
    (97, "EAFNOSUPPORT\0", "Address family not supported by protocol\0"),
    (98, "EADDRINUSE\0", "Address already in use\0"),
    (99, "EADDRNOTAVAIL\0", "Cannot assign requested address\0"),
    (100, "ENETDOWN\0", "Network is down\0"),
    (101, "ENETUNREACH\0", "Network is unreachable\0"),
    (102, "ENETRESET\0", "Network dropped connection on reset\0"),
    (103, "ECONNABORTED\0", "Software caused connection abort\0"),
    (104, "ECONNRESET\0", "Connection reset by peer\0"),
    (105, "ENOBUFS\0", "No buffer space available\0"),
    (106, "EISCONN\0", "Transport endpoint is already connected\0"),
    (107, "ENOTCONN\0", "Transport endpoint is not connected\0"),
    (108, "ESHUTDOWN\0", "Cannot send after transport endpoint shutdown\0"),
    (109, "ETOOMANYREFS\0", "Too many references: cannot splice\0"),
    (110, "ETIMEDOUT\0", "Connection timed out\0"),
    (111, "ECONNREFUSED\0", "Connection refused\0"),
    (112, "EHOSTDOWN\0", "Host is down\0"),
    (113, "EHOSTUNREACH\0", "No route to host\0"),
    (114, "EALREADY\0", "Operation already in progress\0"),
    (115, "EINPROGRESS\0", "Operation now in progress\0"),
    (116, "ESTALE\0", "Stale file handle\0"),
    (117, "EUCLEAN\0", "Structure needs cleaning\0"),
    (118, "ENOTNAM\0", "Not a XENIX named type file\0"),
    (119, "ENAVAIL\0", "No XENIX semaphores available\0"),
    (120, "EISNAM\0", "Is a named type file\0"),
    (121, "EREMOTEIO\0", "Remote I/O error\0"),
    (122, "EDQUOT\0", "Disk quota exceeded\0"),
    (123, "ENOMEDIUM\0", "No medium found\0"),
    (124, "EMEDIUMTYPE\0", "Wrong medium type\0"),
    (125, "ECANCELED\0", "Operation canceled\0"),
    (126, "ENOKEY\0", "Required key not available\0"),
    (127, "EKEYEXPIRED\0", "Key has expired\0"),
    (128, "EKEYREVOKED\0", "Key has been revoked\0"),
    (129, "EKEYREJECTED\0", "Key was rejected by service\0"),
    (130, "EOWNERDEAD\0", "Owner died\0"),
    (131, "ENOTRECOVERABLE\0", "State not recoverable\0"),
    (132, "ERFKILL\0", "Operation not possible due to RF-kill\0"),
    (133, "EHWPOISON\0", "Memory page has hardware error\0"),
];

/// How many errnos `TABLE` has.
const COUNT: usize = TABLE.len();

/// Total length of every name and description, NULs included.
const LEN: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < COUNT {
        n += TABLE[i].1.len() + TABLE[i].2.len();
        i += 1;
    }
    n
};

/// `TABLE`'s strings, in order: name 0, description 0, name 1, ...
const PACKED: [u8; LEN] = {
    let mut out = [0u8; LEN];
    let (mut at, mut i) = (0, 0);
    while i < COUNT {
        let mut part = 0;
        while part < 2 {
            let s = if part == 0 { TABLE[i].1.as_bytes() } else { TABLE[i].2.as_bytes() };
            let mut j = 0;
            while j < s.len() {
                out[at] = s[j];
                at += 1;
                j += 1;
            }
            part += 1;
        }
        i += 1;
    }
    out
};

/// Every name and description, each with its NUL, in `TABLE`'s order: the name of `ERRNOS[i]` is string
/// `2 * i`, its description string `2 * i + 1`.
pub(crate) static STRINGS: &str = match core::str::from_utf8(&PACKED) {
    Ok(s) => s,
    Err(_) => panic!("errno strings are ASCII"),
};

/// The errno of each entry.
pub(crate) static ERRNOS: [u8; COUNT] = {
    let mut out = [0u8; COUNT];
    let mut i = 0;
    while i < COUNT {
        assert!(TABLE[i].0 > 0 && TABLE[i].0 <= u8::MAX as i32);
        out[i] = TABLE[i].0 as u8;
        i += 1;
    }
    out
};
