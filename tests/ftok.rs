//! `svmq::ftok` against the C library's `ftok`, bit for bit.

use std::ffi::CString;

fn libc_ftok(path: &CString, id: i32) -> i32 {
    // SAFETY: path is NUL-terminated.
    unsafe { libc::ftok(path.as_ptr(), id) }
}

#[test]
fn ftok_equals_glibc_on_many_paths_and_ids() {
    let dir = std::env::temp_dir().join(format!("svmq-ftok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f");
    std::fs::write(&file, b"x").unwrap();
    let link = dir.join("link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let mut paths = vec!["/", "/tmp", "/proc/self", "/dev/null", "/etc/passwd"];
    let extra =
        [file.to_str().unwrap().to_owned(), link.to_str().unwrap().to_owned(), dir.to_str().unwrap().to_owned()];
    paths.extend(extra.iter().map(String::as_str));
    if std::path::Path::new("/dev/shm").exists() {
        paths.push("/dev/shm");
    }
    let mut checked = 0;
    for p in paths {
        let c = CString::new(p).unwrap();
        for id in 1..=255u8 {
            let ours = svmq::ftok(&c, id).unwrap();
            assert_eq!(ours.raw(), libc_ftok(&c, i32::from(id)), "{p} {id}");
            checked += 1;
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(checked >= 8 * 255);
}

#[test]
fn ftok_of_missing_path_is_an_error_not_minus_one() {
    let c = CString::new("/nonexistent/svmq/path").unwrap();
    assert_eq!(svmq::ftok(&c, 1), Err(svmq::Errno::NOENT));
}

#[test]
fn c_abi_ftok_masks_proj_id_like_glibc() {
    let c = CString::new("/").unwrap();
    for id in [0x41, 0x141, -1, 0x80, 0xff] {
        let mut key = 0;
        // SAFETY: a NUL-terminated path and a valid out pointer.
        assert_eq!(unsafe { svmq::capi::svmq_ftok(c.as_ptr(), id, &mut key) }, 0);
        assert_eq!(key, libc_ftok(&c, id), "proj_id {id:#x}");
    }
}
