"""Payment providers behind one port (`PaymentGateway`)."""
