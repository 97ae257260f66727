// The JSON API, as the pages call it: same-origin fetch with the session cookie.
// A 401 sends the browser to the login page; any other error becomes an ApiError that
// carries the problem+json `detail`, so pages can show the server's reason.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

export function loginUrl() {
  const here = location.pathname + location.search + location.hash;
  return `/login.html?next=${encodeURIComponent(here)}`;
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

async function problemDetail(response) {
  try {
    const body = await response.json();
    return body.detail || body.title || `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

export async function request(method, path, body) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401 && !path.startsWith("/api/auth/")) {
    location.assign(loginUrl());
    throw new ApiError(401, "not signed in");
  }
  if (!response.ok) throw new ApiError(response.status, await problemDetail(response));
  if (response.status === 204) return null;
  return response.json();
}

export const get = (path, params = {}) => request("GET", path + query(params));
export const post = (path, body) => request("POST", path, body);
