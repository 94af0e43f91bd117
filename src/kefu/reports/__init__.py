"""Reports (系统报表): the seed's traffic and agent reports and the contact-centre KPIs,
as tables with charts for the browser, CSV and Excel files, and scheduled deliveries."""
