"""The IVR slice (自动语音应答): call flows, their interpreter, read-out and speech.

Built so far are the parts that need no database or telephony: the read-out
(:mod:`kefu.ivr.readout`), the flow format and its validation (:mod:`kefu.ivr.flow`), the
flow interpreter as a pure state machine (:mod:`kefu.ivr.engine`), text-to-speech
(:mod:`kefu.ivr.tts`) and prompt conversion (:mod:`kefu.ivr.prompts`).
"""
