//! Growing the data partition to the end of the card on first boot (`mibee-nvr grow-data`,
//! run by the image's rcS): images are built small; the card is not. The data partition is
//! the last logical partition of the MBR layout every board shares. Its entry (in the last
//! EBR) and the extended partition's entry (in the MBR) are extended to the end of the disk,
//! the kernel is told the new size (BLKPG), and the mounted ext4 is grown online
//! (EXT4_IOC_RESIZE_FS). Nothing needs unmounting and nothing outside the tables moves.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::Path;

const SECTOR: u64 = 512;
/// Smaller gains are not worth touching the partition table for.
const MIN_GAIN_SECTORS: u64 = 2048 * 16;
const BLKGETSIZE64: libc::c_ulong = 0x8008_1272;
const BLKPG: libc::c_ulong = 0x1269;
const BLKPG_RESIZE_PARTITION: libc::c_int = 3;
/// `_IOW('f', 16, __u64)`.
const EXT4_IOC_RESIZE_FS: libc::c_ulong = 0x4008_6610;

#[repr(C)]
struct BlkpgPartition {
    start: libc::c_longlong,
    length: libc::c_longlong,
    pno: libc::c_int,
    devname: [libc::c_char; 64],
    volname: [libc::c_char; 64],
}

#[repr(C)]
struct BlkpgIoctlArg {
    op: libc::c_int,
    flags: libc::c_int,
    datalen: libc::c_int,
    data: *mut libc::c_void,
}

fn le32(b: &[u8]) -> u64 {
    u32::from_le_bytes(b[..4].try_into().expect("4 bytes")) as u64
}

fn put32(b: &mut [u8], v: u64) -> std::io::Result<()> {
    let v = u32::try_from(v).map_err(|_| std::io::Error::other("beyond 2 TiB: MBR cannot"))?;
    b[..4].copy_from_slice(&v.to_le_bytes());
    Ok(())
}

/// Where the partition table says partition `pno` (a logical one, ≥ 5) is.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub start_sector: u64,
    pub old_sectors: u64,
    pub new_sectors: u64,
    ext_entry_at: u64,
    ebr_lba: u64,
    ext_start: u64,
}

/// Reads the tables and works out the growth (None: already at the end). Pure, for tests.
pub fn plan(disk: &File, disk_sectors: u64, pno: u32) -> std::io::Result<Option<Plan>> {
    let bad = |m: &str| std::io::Error::other(m.to_string());
    let mut mbr = [0u8; 512];
    disk.read_exact_at(&mut mbr, 0)?;
    if mbr[510..512] != [0x55, 0xAA] {
        return Err(bad("no MBR"));
    }
    let (i, ext) = (0..4)
        .map(|i| (i, &mbr[446 + 16 * i..462 + 16 * i]))
        .find(|(_, e)| matches!(e[4], 0x05 | 0x0F | 0x85))
        .ok_or_else(|| bad("no extended partition"))?;
    let ext_start = le32(&ext[8..]);
    let mut ebr_lba = ext_start;
    for n in 5..=pno {
        let mut ebr = [0u8; 512];
        disk.read_exact_at(&mut ebr, ebr_lba * SECTOR)?;
        if ebr[510..512] != [0x55, 0xAA] {
            return Err(bad("broken EBR chain"));
        }
        let next = &ebr[446 + 16..462 + 16];
        if n == pno {
            if next[4] != 0 {
                return Err(bad("the data partition is not the last one"));
            }
            let start = ebr_lba + le32(&ebr[446 + 8..]);
            let old = le32(&ebr[446 + 12..]);
            // Keep 4 KiB alignment of the end.
            let new = (disk_sectors - start) / 8 * 8;
            if new < old + MIN_GAIN_SECTORS {
                return Ok(None);
            }
            return Ok(Some(Plan {
                start_sector: start,
                old_sectors: old,
                new_sectors: new,
                ext_entry_at: 446 + 16 * i as u64,
                ebr_lba,
                ext_start,
            }));
        }
        if next[4] == 0 {
            return Err(bad("no such logical partition"));
        }
        ebr_lba = ext_start + le32(&next[8..]);
    }
    Err(bad("no such logical partition"))
}

/// Writes the grown entries (the EBR first: a crash in between leaves a valid, smaller table).
pub fn write_plan(disk: &File, disk_sectors: u64, p: &Plan) -> std::io::Result<()> {
    let mut ebr = [0u8; 512];
    disk.read_exact_at(&mut ebr, p.ebr_lba * SECTOR)?;
    put32(&mut ebr[446 + 12..], p.new_sectors)?;
    let mut mbr = [0u8; 512];
    disk.read_exact_at(&mut mbr, 0)?;
    let at = p.ext_entry_at as usize;
    put32(&mut mbr[at + 12..], disk_sectors - p.ext_start)?;
    disk.write_all_at(&mbr, 0)?;
    disk.sync_all()?;
    disk.write_all_at(&ebr, p.ebr_lba * SECTOR)?;
    disk.sync_all()
}

/// Grows partition `pno` of `disk` and the ext4 mounted at `mount`. Returns the new size in
/// bytes, or None when there was nothing to grow.
pub fn grow(disk_path: &Path, pno: u32, mount: &Path) -> std::io::Result<Option<u64>> {
    let disk = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(disk_path)?;
    let mut bytes: u64 = 0;
    // SAFETY: BLKGETSIZE64 writes one u64 through the pointer.
    if unsafe { libc::ioctl(disk.as_raw_fd(), BLKGETSIZE64 as _, &mut bytes) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let sectors = bytes / SECTOR;
    let Some(p) = plan(&disk, sectors, pno)? else {
        return Ok(None);
    };
    write_plan(&disk, sectors, &p)?;
    let mut part = BlkpgPartition {
        start: (p.start_sector * SECTOR) as i64,
        length: (p.new_sectors * SECTOR) as i64,
        pno: pno as libc::c_int,
        devname: [0; 64],
        volname: [0; 64],
    };
    let mut arg = BlkpgIoctlArg {
        op: BLKPG_RESIZE_PARTITION,
        flags: 0,
        datalen: std::mem::size_of::<BlkpgPartition>() as libc::c_int,
        data: &mut part as *mut _ as *mut libc::c_void,
    };
    // SAFETY: BLKPG reads the argument struct and the partition struct it points to.
    if unsafe { libc::ioctl(disk.as_raw_fd(), BLKPG as _, &mut arg) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let fs = File::open(mount)?;
    let block = rustix::fs::statvfs(mount)?.f_bsize.max(1024);
    let mut blocks: u64 = p.new_sectors * SECTOR / block;
    // SAFETY: EXT4_IOC_RESIZE_FS reads one u64 (the new block count).
    if unsafe { libc::ioctl(fs.as_raw_fd(), EXT4_IOC_RESIZE_FS as _, &mut blocks) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(Some(p.new_sectors * SECTOR))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An MBR with p1-p3 primary, p4 extended holding p5-p7 (genimage's layout).
    fn image(total_sectors: u64) -> File {
        let f = tempfile::tempfile().unwrap();
        f.set_len(total_sectors * SECTOR).unwrap();
        let entry = |b: &mut [u8], at: usize, kind: u8, start: u64, size: u64| {
            b[at + 4] = kind;
            b[at + 8..at + 12].copy_from_slice(&(start as u32).to_le_bytes());
            b[at + 12..at + 16].copy_from_slice(&(size as u32).to_le_bytes());
        };
        let mut mbr = [0u8; 512];
        mbr[510] = 0x55;
        mbr[511] = 0xAA;
        entry(&mut mbr, 446, 0x0C, 2048, 2048);
        entry(&mut mbr, 462, 0x0C, 4096, 2048);
        entry(&mut mbr, 478, 0x0C, 6144, 2048);
        let ext = 8192;
        entry(&mut mbr, 494, 0x0F, ext, 3 * 4096);
        f.write_all_at(&mbr, 0).unwrap();
        for (k, ebr_lba) in [ext, ext + 4096, ext + 8192].into_iter().enumerate() {
            let mut ebr = [0u8; 512];
            ebr[510] = 0x55;
            ebr[511] = 0xAA;
            entry(&mut ebr, 446, 0x83, 2048, 2048);
            if k < 2 {
                entry(&mut ebr, 462, 0x05, ebr_lba + 4096 - ext, 4096);
            }
            f.write_all_at(&ebr, ebr_lba * SECTOR).unwrap();
        }
        f
    }

    #[test]
    fn grows_the_last_logical_partition_to_the_end() {
        let total = 8192 + 3 * 4096 + 200_000;
        let f = image(total);
        let p = plan(&f, total, 7).unwrap().unwrap();
        assert_eq!(p.start_sector, 8192 + 8192 + 2048);
        assert_eq!(p.old_sectors, 2048);
        assert_eq!(p.new_sectors, (total - p.start_sector) / 8 * 8);
        write_plan(&f, total, &p).unwrap();
        // Now at the end: nothing more to do; the chain still parses.
        assert_eq!(plan(&f, total, 7).unwrap(), None);
        assert!(plan(&f, total, 6).is_err(), "p6 is not the last partition");
        let mut mbr = [0u8; 512];
        f.read_exact_at(&mut mbr, 0).unwrap();
        assert_eq!(le32(&mbr[494 + 12..]), total - 8192);
    }

    #[test]
    fn small_gains_and_broken_tables_are_left_alone() {
        let total = 8192 + 3 * 4096 + 1000;
        assert_eq!(plan(&image(total), total, 7).unwrap(), None);
        let f = tempfile::tempfile().unwrap();
        f.set_len(1 << 20).unwrap();
        assert!(plan(&f, 2048, 7).is_err());
    }
}
