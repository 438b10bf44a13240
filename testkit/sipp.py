"""SIPp callers: real SIP calls into the hotline trunk, for tests and benchmarks.

The scenario is rendered per run (hold time, audio) and the caller ID is passed with
SIPp's -key, as argv, never through a shell. A caller holds for `hold_s` seconds after
being answered (playing `audio`, a WAV SIPp streams as RTP), then hangs up, unless
the hotline hangs up first.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hotline.config import Config


def _scenario_template() -> str:
    return resources.files("testkit").joinpath("sipp_caller.xml").read_text(encoding="utf-8")


def _caller_key_step() -> str:
    """One key a caller sends as SIP INFO (a format string: gap_ms, cseq, key)."""
    text = resources.files("testkit").joinpath("sipp_caller_key.xml").read_text(encoding="utf-8")
    return text.split("-->\n", 1)[1]


def key_steps(template: str, keys: str, first_s: float, gap_s: float, first_cseq: int) -> str:
    """SIP INFO DTMF steps: the first key `first_s` in, each next one `gap_s` later."""
    if any(key not in "0123456789*#" for key in keys):
        raise ValueError(f"keys must be DTMF digits, got {keys!r}")
    if not keys:
        return ""
    waits = [first_s] + [gap_s] * (len(keys) - 1)
    return "".join(template.format(gap_ms=max(1, int(wait * 1000)), cseq=first_cseq + i,
                                   key=key)
                   for i, (key, wait) in enumerate(zip(keys, waits, strict=True)))


def render_scenario(hold_s: float, audio: Path | None = None, unique: bool = False,
                    keys: str = "", first_key_s: float = 4.0, key_gap_s: float = 0.3) -> str:
    """SIPp XML for one caller; `audio` must be an 8 kHz mu-law WAV (see `to_ulaw_wav`).

    With `unique`, each call of a multi-call run gets its own caller number: the
    given number followed by SIPp's call counter. `keys` are keyed as SIP INFO DTMF
    after the answer (``key_steps``).
    """
    stream = (f'<nop><action><exec rtp_stream="{audio},1,0"/></action></nop>'
              if audio else "")
    stream += key_steps(_caller_key_step(), keys, first_key_s, key_gap_s, first_cseq=2)
    text = (_scenario_template().replace("@@audio@@", stream)
            .replace("@@hold_ms@@", str(max(1, int(hold_s * 1000)))))
    return text.replace("[caller_num]", "[caller_num][call_number]") if unique else text


def to_ulaw_wav(source: Path, target: Path) -> Path:
    """Convert any audio file to the 8 kHz mono mu-law WAV SIPp's rtp_stream plays."""
    from pydub import AudioSegment

    audio = AudioSegment.from_file(source).set_frame_rate(8000).set_channels(1)
    audio.export(target, format="wav", codec="pcm_mulaw")
    return target


@dataclass
class SippResult:
    returncode: int
    stdout: str
    stderr: str
    answer_times_ms: list[float]  # per answered call: INVITE sent to 200 OK received

    @property
    def answer_ms(self) -> float | None:
        return max(self.answer_times_ms) if self.answer_times_ms else None

    @property
    def successful(self) -> int:
        match = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", self.stdout)
        return int(match.group(1)) if match else 0


def _rtt_values(folder: Path) -> list[float]:
    """SIPp's -trace_rtt files: `date_ms;response_time_ms;rtd_no` per answered call."""
    values = []
    for path in folder.glob("*_rtt.csv"):
        for line in path.read_text(errors="replace").splitlines()[1:]:
            parts = line.split(";")
            if len(parts) >= 2:
                try:
                    values.append(float(parts[1]))
                except ValueError:
                    continue
    return values


def _free_udp_port() -> int:
    """An even free UDP port for SIPp's media (RTP uses it and the next)."""
    import socket

    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port % 2 == 0 and port < 65000:
            return port


def sipp_binary() -> str:
    found = shutil.which("sipp")
    if not found:
        raise FileNotFoundError("sipp is missing: apt-get install sip-tester")
    return found


async def call(cfg: Config, number: str, caller_num: str, caller_name: str = "",
               hold_s: float = 5.0, audio: Path | None = None,
               timeout_s: float = 120.0, calls: int = 1, rate: float = 10.0,
               keys: str = "") -> SippResult:
    """Place SIPp calls to NUMBER through the trunk and wait until they end.

    With calls > 1, they start `rate` per second, each with its own caller number.
    `keys` are keyed after the answer (e.g. a case number and # at the lookup number).
    """
    with tempfile.TemporaryDirectory(prefix="hotline-sipp-") as tmp:
        scenario = Path(tmp) / "caller.xml"
        scenario.write_text(render_scenario(hold_s, audio, unique=calls > 1, keys=keys),
                            encoding="latin-1", errors="replace")
        proc = await asyncio.create_subprocess_exec(
            sipp_binary(), f"{cfg.sip_host}:{cfg.sip_port}", "-sf", str(scenario),
            "-s", number, "-m", str(calls), "-r", str(rate), "-l", str(calls),
            "-i", "127.0.0.1", "-mp", str(_free_udp_port()),
            "-key", "caller_num", caller_num, "-key", "caller_name", caller_name,
            "-timeout", f"{int(timeout_s)}s", "-nostdin", "-trace_err", "-trace_rtt",
            "-rtt_freq", "1",
            "-error_file", str(Path(tmp) / "errors.log"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=tmp,
        )
        out, err = await proc.communicate()
        errors = Path(tmp) / "errors.log"
        error_text = errors.read_text(errors="replace") if errors.exists() else ""
        return SippResult(proc.returncode or 0, out.decode(errors="replace"),
                          err.decode(errors="replace") + error_text, _rtt_values(Path(tmp)))


@asynccontextmanager
async def citizen_phones(cfg: Config) -> AsyncIterator[asyncio.subprocess.Process]:
    """Citizens' phones behind the trunk: SIPp answers every call the hotline places,
    from entering the block until leaving it (UAS on the trunk port)."""
    proc = await asyncio.create_subprocess_exec(
        sipp_binary(), "-sn", "uas", "-i", "127.0.0.1", "-p", str(cfg.trunk_port),
        "-mp", str(_free_udp_port()), "-nostdin",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


# ---- citizens answering follow-up calls (回访) ----

_KEY_STEP = """  <pause milliseconds="{gap_ms}"/>
  <send retrans="500">
    <![CDATA[
      INFO [$remote_contact] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$local_to];tag=[pid]SIPpTag01[call_number]
      To: [$remote_from]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={key}
      Duration=160
    ]]>
  </send>
  <recv response="200"/>
"""


def render_citizen_scenario(keys: str, gap_s: float = 3.0, first_s: float = 5.0,
                            ring_s: float = 0.5, hold_s: float = 40.0) -> str:
    """SIPp UAS XML for a citizen who answers and keys `keys` as SIP INFO DTMF.

    The first key goes `first_s` after the answer (the IVR needs a moment to start
    asking: a key sent before that is lost), each next one `gap_s` after the previous,
    so every key lands while a question is being asked.
    """
    steps = key_steps(_KEY_STEP, keys, first_s, gap_s, first_cseq=1)
    template = (resources.files("testkit").joinpath("sipp_followup_citizen.xml")
                .read_text(encoding="utf-8"))
    return (template.replace("@@keys@@", steps)
            .replace("@@ring_ms@@", str(max(1, int(ring_s * 1000))))
            .replace("@@hold_ms@@", str(max(1, int(hold_s * 1000)))))


@dataclass
class CitizenPhone:
    """A SIPp UAS on the trunk port answering follow-up calls; `finish` waits for it."""

    proc: asyncio.subprocess.Process
    folder: tempfile.TemporaryDirectory

    async def finish(self, timeout_s: float = 120.0) -> SippResult:
        """Wait until SIPp has taken its calls (or kill it after `timeout_s`)."""
        try:
            out, err = await asyncio.wait_for(self.proc.communicate(), timeout_s)
        except TimeoutError:
            self.proc.kill()
            out, err = await self.proc.communicate()
        errors = Path(self.folder.name) / "errors.log"
        error_text = errors.read_text(errors="replace") if errors.exists() else ""
        self.folder.cleanup()
        return SippResult(self.proc.returncode or 0, out.decode(errors="replace"),
                          err.decode(errors="replace") + error_text, [])

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
        await self.finish(10.0)


async def followup_citizen(cfg: Config, keys: str, gap_s: float = 3.0, first_s: float = 5.0,
                           calls: int = 1) -> CitizenPhone:
    """Start a citizen's phone behind the trunk that answers `calls` follow-up calls."""
    folder = tempfile.TemporaryDirectory(prefix="hotline-sipp-citizen-")
    scenario = Path(folder.name) / "citizen.xml"
    scenario.write_text(render_citizen_scenario(keys, gap_s, first_s), encoding="latin-1")
    proc = await asyncio.create_subprocess_exec(
        sipp_binary(), "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(cfg.trunk_port),
        "-mp", str(_free_udp_port()), "-m", str(calls), "-nostdin", "-trace_err",
        "-error_file", str(Path(folder.name) / "errors.log"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=folder.name)
    return CitizenPhone(proc, folder)
