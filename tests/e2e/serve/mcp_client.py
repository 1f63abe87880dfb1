"""Drives kubewhy's MCP server with the official MCP Python SDK's client, as an assistant would:
initialize, list the tools, analyze, then explain and fetch one issue by the pseudonyms the
analysis returned. Prints what it saw as one JSON object.

    python mcp_client.py stdio KUBEWHY_BINARY mcp --demo
    python mcp_client.py http URL TOKEN
"""

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def attr(obj, snake, camel):
    """A field under its 2.x (snake_case) or 1.x (camelCase) name."""
    return getattr(obj, snake) if hasattr(obj, snake) else getattr(obj, camel)


async def use(session):
    init = await session.initialize()
    tools = await session.list_tools()
    analyzed = await session.call_tool("analyze", {})
    report = json.loads(analyzed.content[0].text)
    out = {
        "protocol": attr(init, "protocol_version", "protocolVersion"),
        "server": attr(init, "server_info", "serverInfo").name,
        "tools": sorted(t.name for t in tools.tools),
        "analyze_error": attr(analyzed, "is_error", "isError"),
        "analyze": report,
    }
    deployment = next(i for i in report["issues"] if i["root"]["kind"] == "Deployment")
    root = deployment["root"]
    explained = await session.call_tool(
        "explain", {"kind": "deployment", "name": root["name"], "namespace": root.get("namespace")}
    )
    out["explain_error"] = attr(explained, "is_error", "isError")
    out["explain"] = explained.content[0].text
    issue = await session.call_tool("get_issue", {"fingerprint": deployment["fingerprint"]})
    out["issue"] = json.loads(issue.content[0].text)
    checks = await session.call_tool("list_checks", {})
    out["checks"] = len(json.loads(checks.content[0].text)["checks"])
    print(json.dumps(out))


async def main():
    mode = sys.argv[1]
    if mode == "stdio":
        params = StdioServerParameters(command=sys.argv[2], args=sys.argv[3:], env=dict(os.environ))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await use(session)
        return
    url, token = sys.argv[2], sys.argv[3]
    headers = {"Authorization": f"Bearer {token}"}
    try:  # mcp 1.x
        from mcp.client.streamable_http import streamablehttp_client

        transport = streamablehttp_client(url, headers=headers)
    except ImportError:  # mcp 2.x
        from mcp.client.streamable_http import create_mcp_http_client, streamable_http_client

        transport = streamable_http_client(url, http_client=create_mcp_http_client(headers=headers))
    async with transport as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            await use(session)


asyncio.run(main())
