//! Test media: a small real ext4 filesystem on a loop device (to fill a disk for real), the
//! low-CPU file-replay cameras (tests/fixtures/filecam.py) and their pre-encoded clip, and a
//! full decode of a downloaded recording with ffmpeg.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An ext4 filesystem of `mib` MiB in an image file, loop-mounted (needs root: the tests run
/// as root in CI). No reserved blocks, so `df` and the daemon see the same free space.
pub struct LoopFs {
    _dir: tempfile::TempDir,
    pub mount: PathBuf,
}

impl LoopFs {
    pub fn new(mib: u64) -> LoopFs {
        assert!(
            rustix::process::geteuid().is_root(),
            "this test mounts a loop filesystem and must run as root"
        );
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("fs.img");
        let f = std::fs::File::create(&img).unwrap();
        f.set_len(mib << 20).unwrap();
        run(Command::new("mkfs.ext4")
            .args(["-q", "-F", "-m", "0"])
            .arg(&img));
        let mount = dir.path().join("mnt");
        std::fs::create_dir(&mount).unwrap();
        run(Command::new("mount")
            .args(["-o", "loop"])
            .arg(&img)
            .arg(&mount));
        LoopFs { _dir: dir, mount }
    }

    /// (used percent as `df` shows it, available bytes).
    pub fn usage(&self) -> (f64, u64) {
        let out = Command::new("df")
            .args(["-B1", "--output=used,avail"])
            .arg(&self.mount)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().nth(1).expect("df output");
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|x| x.parse().unwrap())
            .collect();
        (v[0] * 100.0 / (v[0] + v[1]), v[1] as u64)
    }
}

impl Drop for LoopFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

/// A noisy 640x360 25 fps H.264 clip at ~6 Mbit/s, GOP 1 s, no B-frames (encoded once and
/// kept in cargo's target tmp dir).
pub fn clip(seconds: u32) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("clip-640x360-6M-{seconds}s.mp4"));
    if !path.exists() {
        let tmp = dir.join(format!("clip-{}.tmp.mp4", std::process::id()));
        run(Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
            .arg("testsrc2=size=640x360:rate=25,noise=alls=40:allf=t+u")
            .args([
                "-t",
                &seconds.to_string(),
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
            ])
            .args([
                "-g", "25", "-bf", "0", "-b:v", "6M", "-maxrate", "6M", "-bufsize", "6M",
            ])
            .args(["-pix_fmt", "yuv420p"])
            .arg(&tmp));
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

/// N RTSP cameras replaying `clip` from its start, on 127.0.0.1.
pub struct FileCam {
    child: Child,
    pub urls: Vec<String>,
}

impl FileCam {
    pub fn start(clip: &Path, n: usize) -> FileCam {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/filecam.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(clip)
            .args([&n.to_string(), "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start filecam.py");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("READY ") => break l,
                Some(Ok(_)) => continue,
                _ => panic!("filecam.py exited before READY"),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let v: serde_json::Value = serde_json::from_str(&ready["READY ".len()..]).unwrap();
        let urls = v["urls"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap().to_string())
            .collect();
        FileCam { child, urls }
    }
}

impl Drop for FileCam {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Decodes an MP4 fully with `ffmpeg -xerror`; panics with ffmpeg's complaint otherwise.
pub fn assert_decodes(what: &str, mp4: &[u8]) {
    assert_decodes_as(what, "r.mp4", mp4);
}

/// Decodes `bytes`, saved as `name` (its extension tells ffmpeg the format), fully with
/// `ffmpeg -xerror`; panics with ffmpeg's complaint otherwise.
pub fn assert_decodes_as(what: &str, name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-xerror", "-i"])
        .arg(&f)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "decode of {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// ffprobe of the first video stream of `bytes`, saved as `name`: the `stream=` `entries`
/// (comma-separated) as one CSV line. `nb_read_frames` counts the frames by reading them.
pub fn probe_video(name: &str, bytes: &[u8], entries: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    let mut cmd = Command::new("ffprobe");
    cmd.args(["-v", "error", "-select_streams", "v:0"]);
    if entries.contains("nb_read_frames") {
        cmd.arg("-count_frames");
    }
    let out = cmd
        .args([
            "-show_entries",
            &format!("stream={entries}"),
            "-of",
            "csv=p=0",
        ])
        .arg(&f)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// ffprobe of `bytes`, saved as `name`, with `args` (e.g. `-show_entries ...`): its JSON.
pub fn probe_json(name: &str, bytes: &[u8], args: &[&str]) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .args(["-of", "json"])
        .arg(&f)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "ffprobe {args:?}: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
