//! Downloads: `RETR` (after `REST` to resume at an offset), streamed by [`crate::transfer::Download`],
//! with one retry on a fresh connection or in PASV mode where EPSV was refused.

use std::{io::Read, sync::atomic::Ordering};

use ferry_plugin_api::{BackendError, ErrorKind};
use suppaftp::Mode;

use super::{is_connection_failure, is_epsv_refusal, FtpBackend};

use crate::{session::Connector, transfer::Download};

impl<C: Connector> FtpBackend<C> {
    pub(super) fn open_download(
        &self,
        path: &str,
        offset: u64,
    ) -> Result<Box<dyn Read + Send>, BackendError> {
        let absolute = self.absolute(path);
        let command = format!("RETR {absolute}");
        let mut attempt = 0;
        loop {
            let mut conn = self.pool.get()?;
            let ftp = conn.ftp();
            let opened = if offset > 0 {
                ftp.resume_transfer(offset as usize)
                    .and_then(|_| ftp.retr_as_stream(&absolute))
            } else {
                ftp.retr_as_stream(&absolute)
            };
            match opened {
                Ok(stream) => {
                    return Ok(Box::new(Download::new(
                        stream,
                        conn,
                        self.server().to_string(),
                        command,
                    )))
                }
                Err(error) if attempt == 0 && is_epsv_refusal(&error) => {
                    self.pool.settings().epsv.store(false, Ordering::Relaxed);
                    conn.ftp().set_mode(Mode::Passive);
                }
                Err(error) if attempt == 0 && is_connection_failure(&error) => conn.broken(),
                Err(error) => {
                    let error = self.error(&command, error);
                    return Err(if error.kind == ErrorKind::NOT_FOUND {
                        BackendError::not_found(path)
                    } else {
                        error
                    });
                }
            }
            attempt += 1;
        }
    }
}
