//! A pseudo-terminal pair standing in for a serial cable: the emulator
//! holds the master end, kassa opens the slave end by its path — or by a
//! stable link that survives an "unplug" and "replug", as a udev rule gives
//! real devices (`/dev/kassa-scanner`).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use serialport::TTYPort;

pub struct Pty {
    pub master: TTYPort,
    /// Held open so bytes written before kassa opens its end are kept.
    _slave: TTYPort,
    slave_path: String,
    link: Option<PathBuf>,
}

impl Pty {
    /// A new pair; `link`, when given, is (re)pointed at the slave end.
    pub fn open(link: Option<&Path>) -> io::Result<Pty> {
        let (master, slave) = TTYPort::pair().map_err(io::Error::other)?;
        let slave_path = serialport::SerialPort::name(&slave).ok_or_else(|| io::Error::other("the pty has no name"))?;
        if let Some(link) = link {
            let _ = std::fs::remove_file(link);
            std::os::unix::fs::symlink(&slave_path, link)?;
        }
        Ok(Pty {
            master,
            _slave: slave,
            slave_path,
            link: link.map(Path::to_path_buf),
        })
    }

    /// The path kassa's config names: the stable link, or the pty itself.
    pub fn path(&self) -> String {
        self.link
            .as_ref()
            .map_or_else(|| self.slave_path.clone(), |l| l.display().to_string())
    }
}

impl Drop for Pty {
    /// Unplugged: the link goes too, as udev removes it.
    fn drop(&mut self) {
        if let Some(link) = &self.link {
            let _ = std::fs::remove_file(link);
        }
    }
}

/// A device emulator's thread, asked to stop and joined when dropped (the
/// device is unplugged: its pty, owned by the thread, closes).
pub struct DeviceThread {
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

impl DeviceThread {
    /// Runs `serve` until the flag it gets is set.
    pub fn spawn(name: &str, serve: impl FnOnce(&AtomicBool) + Send + 'static) -> io::Result<DeviceThread> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let handle = thread::Builder::new().name(name.into()).spawn(move || serve(&stopped))?;
        Ok(DeviceThread {
            stop,
            handle: Some(handle),
        })
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl Drop for DeviceThread {
    fn drop(&mut self) {
        self.stop();
    }
}
