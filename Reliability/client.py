"""The HTTP client the reliability drivers share: one connection per request, never an exception."""
import http.client
import json


def request(port, method, path, token=None, body=None, headers=None, timeout=30):
    """(status, parsed JSON or {}) — or (None, {"error": …}) when the connection failed or timed out."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    all_headers = dict(headers or {})
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    try:
        connection.request(method, path, body=data, headers=all_headers)
        response = connection.getresponse()
        payload = response.read()
        try:
            return response.status, json.loads(payload or b"{}")
        except ValueError:
            return response.status, {}
    except (OSError, http.client.HTTPException) as error:
        return None, {"error": str(error)}
    finally:
        connection.close()
