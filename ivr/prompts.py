"""Mandarin IVR prompts: spoken by espeak-ng (-v cmn), stored as Asterisk-ready WAV.

Files are 8 kHz mono 16-bit WAV named ``<prompt>.wav`` in a target folder. A file
we did not generate (a recorded voice someone dropped in) is never overwritten: a
manifest records the hash of every file we wrote, and only those are regenerated.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

from pydub import AudioSegment

from case_store.tagging.catalog import load_catalog

MANIFEST = ".generated.json"
VOICE = "cmn"
RATE = 8000

BASE_PROMPTS: dict[str, str] = {
    "greeting": "您好，这里是8890便民服务热线。",
    "call_recorded": "本次通话将被录音。",
    "seats_busy": "现在坐席全忙。需要我们稍后回电，请按1；继续等待，请不要挂机。",
    "record_after_tone": "请在提示音后说出您的诉求和联系地址，说完请按井号键。",
    "readback": "您反映的是{topic}问题，确认请按1，修改请按2。",
    "thanks_goodbye": "感谢您的来电，我们会尽快处理并回复您，再见。",
    "callback_registered": "已为您登记回电，我们会在五分钟内给您回电。",
    "callback_number_check": ("已为您登记回电。您留的号码需要话务员先核实，"
                              "核实后我们会尽快给您回电。"),
    "no_input": "对不起，没有听到您的声音。",
    "followup_intro": ("您好，这里是8890热线回访。您反映的问题已经办理，请对办理结果进行评价："
                       "满意请按1，基本满意请按2，不满意请按3。"),
    "followup_company_time": "请评价服务企业的响应时间：满意请按1，基本满意请按2，不满意请按3。",
    "followup_company_quality": "请评价服务企业的服务质量：满意请按1，基本满意请按2，不满意请按3。",
    "followup_company_price": "请评价服务企业的收费价格：满意请按1，基本满意请按2，不满意请按3。",
    "followup_invalid": "对不起，请按1、2或3。",
    "followup_thanks": "感谢您对8890热线的支持，再见。",
    "followup_kb_useful": ("您好，这里是8890热线回访。上次为您提供的答复对您有帮助吗？"
                           "有帮助请按1，部分有帮助请按2，没有帮助请按3。"),
    "followup_praise": ("您好，这里是8890热线回访。您的表扬已经转达。您对8890热线的服务满意吗？"
                        "满意请按1，基本满意请按2，不满意请按3。"),
    "followup_q_timeliness": "请评价承办单位的办理速度：满意请按1，基本满意请按2，不满意请按3。",
    "followup_q_attitude": "请评价承办单位的服务态度：满意请按1，基本满意请按2，不满意请按3。",
    "reply_intro": "您好，这里是8890便民服务热线，下面为您播报您的工单办理情况。",
    "reply_again": "重听请按1。",
    "reply_goodbye": "感谢您对8890热线的支持，再见。",
    "progress_enter": "您好，这里是8890工单查询。请输入工单号，以井号键结束。",
    "progress_not_found": ("没有查到与您的来电号码相符的工单。请核对工单号后再试，"
                           "或拨打88900000由话务员为您查询。"),
    "followup_sent_back": "感谢您的评价，我们会督促承办单位重新办理，再见。",
    "kind_menu": ("请选择诉求类别：咨询请按1，生活服务请按2，事务求助请按3，"
                  "投诉举报请按4，意见建议请按5。"),
    "elderly_urgent": "这里是8890热线。如果您需要紧急帮助，请按任意键，或者说“是”。",
    "elderly_help_coming": "我们正在联系您的家人和话务员，请不要挂机。",
    "checkin_greeting": ("您好，这里是8890关爱回访。一切都好，请按1；需要帮助，请按2，"
                         "或者直接告诉我们。"),
    "checkin_thanks": "谢谢您，祝您身体健康，再见。",
}
# an elderly caller alone in an emergency room hears this on a loop (its own folder)
COMFORT_PROMPTS = {"elderly_comfort": "我们正在联系您的家人，马上就有人来和您说话，请不要挂机。"}
SLOW_WPM = 120  # elderly callers: slow and clear (espeak-ng's default is 175 words a minute)
SLOW_PROMPTS = {"elderly_urgent", "elderly_help_coming", "checkin_greeting", "checkin_thanks",
                *COMFORT_PROMPTS}


class PromptError(RuntimeError):
    """espeak-ng is missing or failed."""


def prompt_texts() -> dict[str, str]:
    """Every prompt name with its Mandarin text, one read-back per catalog topic."""
    texts = {k: v for k, v in BASE_PROMPTS.items() if k != "readback"}
    for code, topic in load_catalog().topics.items():
        texts[f"readback_{code}"] = BASE_PROMPTS["readback"].format(topic=topic.short_name)
    return texts


def synthesize(text: str, voice: str = VOICE, words_per_minute: int | None = None) -> bytes:
    """Speak ``text`` with espeak-ng and return Asterisk-ready WAV bytes (8 kHz mono 16-bit)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise PromptError("espeak-ng is not installed (apt-get install espeak-ng)")
    speed = ["-s", str(words_per_minute)] if words_per_minute else []
    proc = subprocess.run([exe, "-v", voice, *speed, "--stdout", text], capture_output=True,
                          timeout=60, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise PromptError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()}")
    seg = AudioSegment.from_wav(io.BytesIO(proc.stdout))
    seg = seg.set_channels(1).set_sample_width(2).set_frame_rate(RATE)
    out = io.BytesIO()
    seg.export(out, format="wav")
    return out.getvalue()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def ensure_prompts(target_dir: Path, texts: dict[str, str] | None = None) -> dict[str, Path]:
    """Make sure every prompt (of ``texts``, default the IVR's) exists in ``target_dir``;
    keep recorded replacements.

    A file is (re)generated when it is missing, or when we wrote it ourselves and its
    text changed. A file whose content does not match our manifest is someone's
    recording and stays as it is.
    """
    target_dir = Path(target_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = target_dir / MANIFEST
    manifest = _read_manifest(manifest_path)
    result: dict[str, Path] = {}
    for name, text in (prompt_texts() if texts is None else texts).items():
        path = target_dir / f"{name}.wav"
        entry = manifest.get(name)
        if path.exists():
            ours = entry is not None and _digest(path.read_bytes()) == entry.get("sha256")
            if not ours:  # a recorded replacement: keep it, forget our old entry
                manifest.pop(name, None)
            if not ours or entry.get("text") == text:
                result[name] = path
                continue
        data = synthesize(text, words_per_minute=SLOW_WPM if name in SLOW_PROMPTS else None)
        tmp = path.with_suffix(".wav.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        manifest[name] = {"text": text, "sha256": _digest(data)}
        result[name] = path
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True),
                             encoding="utf-8")
    return result
