"""thidua: emulation campaigns (phong trào thi đua) as code, run on Prefect."""

__version__ = "0.1.0"
