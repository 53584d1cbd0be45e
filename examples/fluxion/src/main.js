// Frontend entry: shows whether the HTTP bridge (Rust, port 3001) is up.
const BRIDGE_URL = "http://localhost:3001";

async function refreshStatus() {
  const label = document.querySelector("#voice-status");
  try {
    const response = await fetch(`${BRIDGE_URL}/health`);
    const health = await response.json();
    label.textContent = `${health.status} (bridge ${health.version})`;
  } catch (error) {
    label.textContent = "unreachable";
  }
}

refreshStatus();
setInterval(refreshStatus, 10_000);
