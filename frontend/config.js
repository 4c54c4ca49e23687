// Default configuration for a frontend served on its own. The local runner
// (`python -m devstack run`) serves its own /config.js pointing at the API it started.
window.HALLES_CONFIG = window.HALLES_CONFIG || { apiBase: "http://127.0.0.1:8000" };
