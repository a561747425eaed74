"""Other inputs (arrivals, 四类药品, fever clinics, vaccinations): their import service, API and CLI."""
