"""Start the voice pipeline: ``python main.py`` (port from VOICE_PIPELINE_PORT, default 3002)."""

from fluxion_voice.server import main

if __name__ == "__main__":
    raise SystemExit(main())
