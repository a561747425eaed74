"""Jurisdiction boundaries (GeoJSON polygons of the city, its districts, subdistricts and communities)."""
