"""The OpenAPI 3.1 document of the REST API, built from the route table (api.ROUTES): each
operation's path, parameters, body, access rule and success status come from its Route."""

from __future__ import annotations

import re

from dpkit._version import __version__

ACCESS = {
    "user": "Any user with a token.",
    "reader": "The dataset's owner or a user the owner granted access (releases only).",
    "owner": "The dataset's owner only.",
}
ERROR = {"description": "Error: {\"error\": message}", "content": {"application/json": {
    "schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}}


def _operation(route) -> dict:
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
              for n in re.findall(r"\{(\w+)\}", route.path)]
    params += [{"name": n, "in": "query", "required": n == "name", "schema": {"type": "string"}}
               for n in route.query]
    op = {"summary": route.summary, "description": ACCESS[route.access],
          "operationId": route.handler, "parameters": params,
          "responses": {str(route.status): {"description": "OK"}, "400": ERROR, "401": ERROR,
                        "403": ERROR, "404": ERROR, "409": ERROR}}
    if route.body == "json":
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": route.request_schema or {"type": "object"}}}}
    elif route.body == "csv":
        op["requestBody"] = {"required": True, "content": {"text/csv": {
            "schema": {"type": "string", "format": "binary"}}}}
        op["responses"].update({"413": ERROR, "415": ERROR, "422": ERROR})
    return op


def document(routes) -> dict:
    paths: dict = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": "dpkit serve", "version": __version__,
                 "description": "Differentially private synthetic data, DP-SGD training and DP "
                                "SQL over uploaded tables, every release charged to the "
                                "dataset's privacy budget (docs/ui.md)."},
        "components": {"securitySchemes": {"token": {"type": "http", "scheme": "bearer"}}},
        "security": [{"token": []}],
        "paths": paths,
    }
