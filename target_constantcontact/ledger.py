"""The results ledger: one JSON line per input record, in a file only its owner can read.

Lines are appended after each batch and flushed to disk, so a run stopped by an exhausted quota
or a crash still leaves every result known so far. Each line carries the run id.
The ledger is the only place record keys (emails) are written; logs carry counts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import uuid
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from target_constantcontact.model import Outcome, RecordResult


class Ledger:
    def __init__(self, path: str | os.PathLike[str] | None, *, dry_run: bool = False) -> None:
        self.path = Path(path).expanduser() if path else None
        self.dry_run = dry_run
        self.run_id = str(uuid.uuid4())
        self.counts: Counter[str] = Counter()
        self.failed_by_key: Counter[str] = Counter()
        self._file: IO[str] | None = None
        self._lock = threading.Lock()

    def _open(self) -> IO[str]:
        if self._file is None:
            if self.path is None:  # pragma: no cover - guarded by the caller
                raise ValueError(self.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.fchmod(fd, 0o600)  # an older ledger may have been created with wider rights
            self._file = os.fdopen(fd, "a", encoding="utf-8")
        return self._file

    def write(self, results: Iterable[RecordResult]) -> None:
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        with self._lock:
            lines = []
            for result in results:
                self.counts[result.outcome.value] += 1
                if result.outcome is Outcome.FAILED:
                    self.failed_by_key[result.error_key or "unknown"] += 1
                if self.path is None:
                    continue
                line = {"run_id": self.run_id, "time": now, **result.as_dict()}
                if self.dry_run:
                    line["dry_run"] = True
                lines.append(json.dumps(line, ensure_ascii=False, default=str))
            if self.path is None or not lines:
                return
            file = self._open()
            file.write("\n".join(lines) + "\n")
            file.flush()
            os.fsync(file.fileno())

    @property
    def failed(self) -> int:
        return self.counts[Outcome.FAILED.value]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
