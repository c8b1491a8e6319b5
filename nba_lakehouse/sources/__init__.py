"""Clients for the NBA stats API (through nba_api's endpoint classes) and the CDN live-data feed."""
