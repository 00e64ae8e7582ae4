"""Virtual clinical trials: protocols, randomisation, visits, endpoints, designs and analysis."""
