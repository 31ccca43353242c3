"""A tiny IMAP4rev1 server for tests: enough of RFC 3501 for imaplib and the poller.

It speaks over a real socket, so imaplib's own parsing (literals in FETCH answers, response
codes in SELECT) is what the poller meets. One mailbox, UIDs, the \\Seen flag, LOGIN, SELECT,
STATUS, UID SEARCH (ALL, UNSEEN, ``n:*`` with its "always the newest" quirk), UID FETCH
BODY.PEEK[], UID STORE +FLAGS, LOGOUT. ``drop_after_fetches`` cuts the connection after that
many fetches, as a server restart would.
"""

from __future__ import annotations

import re
import socketserver
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self


@dataclass
class FakeMailbox:
    username: str = "assistenza@energiachiara.it"
    password: str = "segreta"
    uidvalidity: int = 3857529045
    next_uid: int = 1
    # uid -> (raw message, flags)
    messages: dict[int, tuple[bytes, set[str]]] = field(default_factory=dict)
    drop_after_fetches: int | None = None
    fetches: int = 0
    commands: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliver(self, raw: bytes, *, seen: bool = False) -> int:
        with self.lock:
            uid = self.next_uid
            self.next_uid += 1
            self.messages[uid] = (raw, {"\\Seen"} if seen else set())
            return uid

    def seen(self, uid: int) -> bool:
        return "\\Seen" in self.messages[uid][1]

    def recreate(self) -> None:
        """The mailbox is rebuilt (restored from backup): same messages, new UIDs."""
        with self.lock:
            old = [self.messages[u] for u in sorted(self.messages)]
            self.uidvalidity += 1
            self.messages = {}
            self.next_uid = 1
            for raw, flags in old:
                self.messages[self.next_uid] = (raw, flags)
                self.next_uid += 1


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def send(self, line: str | bytes) -> None:
        data = line.encode() if isinstance(line, str) else line
        self.wfile.write(data + b"\r\n")

    def handle(self) -> None:
        box = self.server.mailbox
        self.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] fake IMAP ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            tag, _, rest = text.partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "UID":
                sub, _, args = args.partition(" ")
                command = f"UID {sub.upper()}"
            box.commands.append(command)
            if not self.dispatch(box, tag, command, args):
                return

    def dispatch(self, box: FakeMailbox, tag: str, command: str, args: str) -> bool:
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
        elif command == "LOGIN":
            user, _, password = args.partition(" ")
            if (user.strip('"'), password.strip('"')) != (box.username, box.password):
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
                return True
        elif command in ("SELECT", "EXAMINE"):
            self.send(f"* {len(box.messages)} EXISTS")
            self.send("* 0 RECENT")
            self.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)")
            self.send(f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid")
            self.send(f"* OK [UIDNEXT {box.next_uid}] Predicted next UID")
            self.send(f"{tag} OK [READ-WRITE] SELECT completed")
            return True
        elif command == "STATUS":
            self.send(f"* STATUS INBOX (UIDVALIDITY {box.uidvalidity})")
        elif command == "UID SEARCH":
            self.send("* SEARCH " + " ".join(str(u) for u in self.search(box, args)))
        elif command == "UID FETCH":
            uid = int(args.split()[0])
            if box.drop_after_fetches is not None and box.fetches >= box.drop_after_fetches:
                return False  # the connection drops, mid-poll
            box.fetches += 1
            if uid in box.messages:
                raw = box.messages[uid][0]
                seq = sorted(box.messages).index(uid) + 1
                self.wfile.write(f"* {seq} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode())
                self.wfile.write(raw)
                self.send(")")
        elif command == "UID STORE":
            uid = int(args.split()[0])
            if uid in box.messages and "\\Seen" in args:
                box.messages[uid][1].add("\\Seen")
                seq = sorted(box.messages).index(uid) + 1
                self.send(f"* {seq} FETCH (UID {uid} FLAGS (\\Seen))")
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        else:
            self.send(f"{tag} BAD unknown command")
            return True
        self.send(f"{tag} OK {command} completed")
        return True

    @staticmethod
    def search(box: FakeMailbox, criteria: str) -> list[int]:
        uids = sorted(box.messages)
        criteria = criteria.strip().upper()
        if criteria == "ALL":
            return uids
        if criteria == "UNSEEN":
            return [u for u in uids if not box.seen(u)]
        found = re.fullmatch(r"(?:UID )?(\d+):\*", criteria)
        if found:
            start = int(found.group(1))
            matching = [u for u in uids if u >= start]
            # RFC 3501: "n:*" with n above the largest UID still matches the largest.
            return matching or uids[-1:]
        raise ValueError(f"unsupported search {criteria}")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    mailbox: FakeMailbox


class FakeImapServer:
    """``with FakeImapServer(mailbox) as (host, port): ...``"""

    def __init__(self, mailbox: FakeMailbox) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.mailbox = mailbox
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
