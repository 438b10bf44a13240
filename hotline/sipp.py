"""SIPp callers: real SIP calls into the hotline trunk, for tests and benchmarks.

The scenario is rendered per run (hold time, audio) and the caller ID is passed with
SIPp's -key, as argv, never through a shell. A caller holds for `hold_s` seconds after
being answered (playing `audio`, a WAV SIPp streams as RTP), then hangs up, unless
the hotline hangs up first.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hotline.config import Config

_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="hotline caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[caller_name]" <sip:[caller_num]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:[caller_num]@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-16
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[caller_name]" <sip:[caller_num]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:[caller_num]@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  @@audio@@
  <recv request="BYE" timeout="@@hold_ms@@" ontimeout="hangup"/>
  <send next="end">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <label id="hangup"/>
  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[caller_name]" <sip:[caller_num]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: sip:[caller_num]@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
  <label id="end"/>
</scenario>
"""


def render_scenario(hold_s: float, audio: Path | None = None) -> str:
    """SIPp XML for one caller; `audio` must be an 8 kHz mu-law WAV (see `to_ulaw_wav`)."""
    stream = (f'<nop><action><exec rtp_stream="{audio},1,0"/></action></nop>'
              if audio else "")
    return (_SCENARIO.replace("@@audio@@", stream)
            .replace("@@hold_ms@@", str(max(1, int(hold_s * 1000)))))


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
               timeout_s: float = 120.0) -> SippResult:
    """Place one SIPp call to NUMBER through the trunk and wait until it ends."""
    with tempfile.TemporaryDirectory(prefix="hotline-sipp-") as tmp:
        scenario = Path(tmp) / "caller.xml"
        scenario.write_text(render_scenario(hold_s, audio), encoding="latin-1",
                            errors="replace")
        proc = await asyncio.create_subprocess_exec(
            sipp_binary(), f"{cfg.sip_host}:{cfg.sip_port}", "-sf", str(scenario),
            "-s", number, "-m", "1", "-i", "127.0.0.1", "-mp", str(_free_udp_port()),
            "-key", "caller_num", caller_num, "-key", "caller_name", caller_name,
            "-timeout", f"{int(timeout_s)}s", "-nostdin", "-trace_err",
            "-error_file", str(Path(tmp) / "errors.log"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=tmp,
        )
        out, err = await proc.communicate()
        errors = Path(tmp) / "errors.log"
        error_text = errors.read_text(errors="replace") if errors.exists() else ""
        return SippResult(proc.returncode or 0, out.decode(errors="replace"),
                          err.decode(errors="replace") + error_text)
